"""Update rules (Lasagne's ``updates``): each returns an OrderedDict {shared variable: new
value expression} to pass as ``function(..., updates=...)``.

Every rule takes a loss (differentiated here) or a list of gradients, one per parameter.
Learning rates and other hyperparameters may be Python numbers or shared variables (to change
them during training). State (velocities, accumulators) lives in shared variables of each
parameter's dtype, so the updates keep float32 parameters float32.
"""
from collections import OrderedDict

import numpy as np

from . import tensor as T
from .config import config
from .gradient import grad
from .graph import SharedVariable, shared


def get_or_compute_grads(loss_or_grads, params):
    """``loss_or_grads`` if it is a list of gradients (one per parameter), else grad(loss, params)."""
    params = list(params)
    bad = [p for p in params if not isinstance(p, SharedVariable)]
    if bad:
        raise ValueError(f"updates: params must be shared variables (e.g. from get_all_params), got {bad[:3]}")
    if isinstance(loss_or_grads, (list, tuple)):
        if len(loss_or_grads) != len(params):
            raise ValueError(f"updates: got {len(loss_or_grads)} gradient expressions for {len(params)} parameters")
        return list(loss_or_grads)
    return grad(loss_or_grads, params)


def _zeros_like(param, name):
    value = param.get_value(borrow=True)
    return shared(np.zeros(value.shape, dtype=value.dtype), name=f"{param.name or 'param'}.{name}")


def _as(expr, like):
    """``expr`` in the dtype of the shared variable ``like`` (a float64 learning rate would
    otherwise turn a float32 update into float64)."""
    return T.cast(expr, like.dtype)


def sgd(loss_or_grads, params, learning_rate):
    """param <- param - learning_rate * grad."""
    grads = get_or_compute_grads(loss_or_grads, params)
    updates = OrderedDict()
    for param, g in zip(params, grads):
        updates[param] = _as(param - learning_rate * g, param)
    return updates


def apply_momentum(updates, params=None, momentum=0.9):
    """Add classical momentum to ``updates``: with the step u = update - param,
    velocity <- momentum * velocity + u and param <- param + velocity."""
    params = list(updates.keys()) if params is None else params
    updates = OrderedDict(updates)
    for param in params:
        velocity = _zeros_like(param, "velocity")
        x = momentum * velocity + updates[param]
        updates[velocity] = _as(x - param, param)
        updates[param] = _as(x, param)
    return updates


def momentum(loss_or_grads, params, learning_rate, momentum=0.9):
    """SGD with classical momentum: v <- momentum * v - learning_rate * grad; param <- param + v."""
    return apply_momentum(sgd(loss_or_grads, params, learning_rate), params, momentum)


def apply_nesterov_momentum(updates, params=None, momentum=0.9):
    """Add Nesterov momentum to ``updates``: velocity <- momentum * velocity + u and
    param <- param + momentum * velocity + u, with u = update - param."""
    params = list(updates.keys()) if params is None else params
    updates = OrderedDict(updates)
    for param in params:
        velocity = _zeros_like(param, "velocity")
        x = momentum * velocity + updates[param] - param
        updates[velocity] = _as(x, param)
        updates[param] = _as(momentum * x + updates[param], param)
    return updates


def nesterov_momentum(loss_or_grads, params, learning_rate, momentum=0.9):
    """SGD with Nesterov momentum (Lasagne's formulation)."""
    return apply_nesterov_momentum(sgd(loss_or_grads, params, learning_rate), params, momentum)


def adagrad(loss_or_grads, params, learning_rate=1.0, epsilon=1e-6):
    """accu <- accu + grad**2; param <- param - learning_rate * grad / sqrt(accu + epsilon)."""
    grads = get_or_compute_grads(loss_or_grads, params)
    updates = OrderedDict()
    for param, g in zip(params, grads):
        accu = _zeros_like(param, "accu")
        accu_new = accu + g ** 2
        updates[accu] = _as(accu_new, param)
        updates[param] = _as(param - learning_rate * g / T.sqrt(accu_new + epsilon), param)
    return updates


def rmsprop(loss_or_grads, params, learning_rate=1.0, rho=0.9, epsilon=1e-6):
    """accu <- rho * accu + (1 - rho) * grad**2;
    param <- param - learning_rate * grad / sqrt(accu + epsilon)."""
    grads = get_or_compute_grads(loss_or_grads, params)
    updates = OrderedDict()
    for param, g in zip(params, grads):
        accu = _zeros_like(param, "accu")
        accu_new = rho * accu + (1 - rho) * g ** 2
        updates[accu] = _as(accu_new, param)
        updates[param] = _as(param - learning_rate * g / T.sqrt(accu_new + epsilon), param)
    return updates


def adadelta(loss_or_grads, params, learning_rate=1.0, rho=0.95, epsilon=1e-6):
    """Adadelta (Zeiler 2012): step = grad * sqrt(delta_accu + eps) / sqrt(accu + eps), with
    accu and delta_accu running averages of grad**2 and step**2."""
    grads = get_or_compute_grads(loss_or_grads, params)
    updates = OrderedDict()
    for param, g in zip(params, grads):
        accu = _zeros_like(param, "accu")
        delta_accu = _zeros_like(param, "delta_accu")
        accu_new = rho * accu + (1 - rho) * g ** 2
        updates[accu] = _as(accu_new, param)
        step = g * T.sqrt(delta_accu + epsilon) / T.sqrt(accu_new + epsilon)
        updates[param] = _as(param - learning_rate * step, param)
        updates[delta_accu] = _as(rho * delta_accu + (1 - rho) * step ** 2, param)
    return updates


def adam(loss_or_grads, params, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8):
    """Adam (Kingma & Ba 2014), in Lasagne's form: with t the step number,
    m <- beta1 m + (1 - beta1) g, v <- beta2 v + (1 - beta2) g**2,
    param <- param - lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m / (sqrt(v) + epsilon)."""
    grads = get_or_compute_grads(loss_or_grads, params)
    t_prev = shared(np.asarray(0.0, dtype=config.floatX), name="adam.t")
    updates = OrderedDict()
    t = t_prev + 1
    a_t = learning_rate * T.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    for param, g in zip(params, grads):
        m_prev = _zeros_like(param, "m")
        v_prev = _zeros_like(param, "v")
        m_t = beta1 * m_prev + (1 - beta1) * g
        v_t = beta2 * v_prev + (1 - beta2) * g ** 2
        updates[m_prev] = _as(m_t, param)
        updates[v_prev] = _as(v_t, param)
        updates[param] = _as(param - a_t * m_t / (T.sqrt(v_t) + epsilon), param)
    updates[t_prev] = _as(t, t_prev)
    return updates


def norm_constraint(tensor_var, max_norm, norm_axes=None, epsilon=1e-7):
    """``tensor_var`` rescaled so that its norms over ``norm_axes`` (default: all but the last
    axis for matrices, all but the first for conv filters) are at most ``max_norm``."""
    ndim = tensor_var.ndim
    if norm_axes is None:
        if ndim == 2:
            norm_axes = (0,)
        elif ndim in (3, 4, 5):
            norm_axes = tuple(range(1, ndim))
        else:
            raise ValueError(f"norm_constraint: give norm_axes for a {ndim}-d tensor")
    norms = T.sqrt(T.sum(T.square(tensor_var), axis=norm_axes, keepdims=True))
    target = T.clip(norms, 0, max_norm)
    return _as(tensor_var * (target / (epsilon + norms)), tensor_var)


def total_norm_constraint(tensor_vars, max_norm, epsilon=1e-7, return_norm=False):
    """The tensors (typically gradients) rescaled together so that their joint L2 norm is at
    most ``max_norm`` (gradient clipping). With ``return_norm``, also the norm before it."""
    total = None
    for t in tensor_vars:
        term = T.sum(T.square(t))
        total = term if total is None else total + term
    norm = T.sqrt(total)
    target = T.clip(norm, 0, max_norm)
    multiplier = target / (epsilon + norm)
    scaled = [T.cast(t * multiplier, t.dtype) for t in tensor_vars]
    return (scaled, norm) if return_norm else scaled


__all__ = ["get_or_compute_grads", "sgd", "apply_momentum", "momentum", "apply_nesterov_momentum",
           "nesterov_momentum", "adagrad", "rmsprop", "adadelta", "adam", "norm_constraint",
           "total_norm_constraint"]
