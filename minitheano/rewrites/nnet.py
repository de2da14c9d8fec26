"""Network layers: the relu gradient of a pooled relu applied to the pooled gradient."""
from ..ops import elemwise as E
from ..ops import pool as P
from .core import _op, local_rewrite


@local_rewrite(E.ReluGrad, group="specialize")
def relu_grad_before_max_pool_grad(node):
    """relu_grad(x, max_pool_grad(x, y, gy)) -> max_pool_grad(x, y, relu_grad(y, gy)): the pooling
    gradient is nonzero only at a window's maximum, where x equals y, so the mask is taken on the
    pooled maps (a quarter of the values for 2x2 windows) and can finish the kernel before it."""
    x, g = node.inputs
    if not _op(g, P.MaxPoolGrad) or g.owner.inputs[0] is not x:
        return None
    _, y, gy = g.owner.inputs
    return [g.owner.op(x, y, E.relu_grad(y, gy))]
