"""Activation functions (Lasagne's ``nonlinearities``): each maps a symbolic tensor to one
of the same shape, so a layer can apply any of them."""
from . import tensor as T


def sigmoid(x):
    """1 / (1 + exp(-x))."""
    return T.sigmoid(x)


def tanh(x):
    return T.tanh(x)


def softmax(x):
    """Row-wise softmax (the output of a classifier): rows are examples."""
    return T.softmax(x)


def rectify(x):
    """max(x, 0) (ReLU)."""
    return T.relu(x)


class LeakyRectify:
    """x for x > 0, ``leakiness`` * x otherwise."""

    def __init__(self, leakiness=0.01):
        self.leakiness = leakiness

    def __call__(self, x):
        return T.switch(T.gt(x, 0), x, self.leakiness * x)

    def __repr__(self):
        return f"LeakyRectify({self.leakiness})"


leaky_rectify = LeakyRectify()
very_leaky_rectify = LeakyRectify(1.0 / 3)


def elu(x):
    """x for x > 0, exp(x) - 1 otherwise (exp of min(x, 0), so large x never overflows)."""
    return T.switch(T.gt(x, 0), x, T.exp(T.minimum(x, 0)) - 1)


def softplus(x):
    """log(1 + exp(x)), computed without overflow."""
    return T.softplus(x)


def linear(x):
    """The identity: no nonlinearity."""
    return x


identity = linear

__all__ = ["sigmoid", "tanh", "softmax", "rectify", "LeakyRectify", "leaky_rectify", "very_leaky_rectify",
           "elu", "softplus", "linear", "identity"]
