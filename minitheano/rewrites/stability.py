"""Numerically safer forms: log(1 + exp(x)) -> softplus(x), log(sigmoid(x)) -> -softplus(-x),
log(softmax(x)) -> log_softmax(x)."""
from ..ops import elemwise as E
from ..ops import nnet, subtensor as ST
from ..tensor import softplus
from .core import _is_const, _op, local_rewrite


@local_rewrite(E.Log1p, E.Log, group="stabilize")
def log1p_exp_to_softplus(node):
    """log(1 + exp(x)) and log1p(exp(x)) -> softplus(x), which never overflows."""
    if isinstance(node.op, E.Log1p) and _op(node.inputs[0], E.Exp):
        return [softplus(node.inputs[0].owner.inputs[0])]
    if isinstance(node.op, E.Log) and _op(node.inputs[0], E.Add):
        a, b = node.inputs[0].owner.inputs
        for one, e in ((a, b), (b, a)):
            if _is_const(one, 1) and one.ndim == 0 and _op(e, E.Exp):
                return [softplus(e.owner.inputs[0])]
    return None


@local_rewrite(E.Log, group="stabilize")
def log_sigmoid_to_softplus(node):
    """log(sigmoid(x)) -> -softplus(-x) and log(1 - sigmoid(x)) -> -softplus(x)."""
    arg = node.inputs[0]
    if _op(arg, E.Sigmoid):
        return [-softplus(-arg.owner.inputs[0])]
    if _op(arg, E.Sub):
        one, s = arg.owner.inputs
        if _is_const(one, 1) and one.ndim == 0 and _op(s, E.Sigmoid):
            return [-softplus(s.owner.inputs[0])]
    return None


@local_rewrite(E.Log, group="stabilize")
def log_softmax_rewrite(node):
    """log(softmax(x)) -> log_softmax(x), also through indexing: the stable crossentropy
    log(softmax(x)[arange(n), y]) -> log_softmax(x)[arange(n), y]."""
    arg = node.inputs[0]
    if _op(arg, nnet.Softmax):
        return [nnet.LogSoftmax()(arg.owner.inputs[0])]
    if _op(arg, ST.Subtensor) and _op(arg.owner.inputs[0], nnet.Softmax):
        sm_node = arg.owner.inputs[0].owner
        x, *values = arg.owner.inputs
        return [arg.owner.op(nnet.LogSoftmax()(sm_node.inputs[0]), *values)]
    return None
