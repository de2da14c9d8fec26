"""Shapes: drop work that static shapes prove useless (sum_to_shape, broadcast), and read a
shape or one of its lengths from where it comes from rather than from the value computed."""
from ..graph import Constant, constant
from ..ops import elemwise as E
from ..ops import linalg as L, nnet, reduce as R, shape as S, subtensor as ST
from ..tensor import cast
from .core import _op, _same_static_shape, local_rewrite


@local_rewrite(E.SumToShape, group="specialize")
def useless_sum_to_shape(node):
    """sum_to_shape(g, x) -> g when both have the same known shape."""
    if _same_static_shape(node.inputs[0], node.inputs[1]):
        return [node.inputs[0]]
    return None


@local_rewrite(E.SumToShape, group="specialize")
def sum_to_shape_of_the_shape_source(node):
    """sum_to_shape(g, f(x, c)) -> sum_to_shape(g, x) for an elementwise f of x and scalars c, so
    that f(x, c) has x's shape: the gradient of dropout's rescaling x / 0.6 then reads only the
    shape of the activations x, and the rescaling fuses with the product by the mask. (A unary f
    is left alone: x is then often a sum that would lose its fusion with f instead.)"""
    g, like = node.inputs
    if not _op(like, E.Elemwise) or len(like.owner.inputs) < 2:
        return None
    shaped = [u for u in like.owner.inputs if u.ndim]
    if len(shaped) != 1 or shaped[0].type.shape != like.type.shape:
        return None
    return [E.sum_to_shape(g, shaped[0])]


@local_rewrite(E.BroadcastLike, group="specialize")
def useless_broadcast(node):
    """fill(x, v) -> v when v already has x's known shape."""
    if _same_static_shape(node.inputs[0], node.inputs[1]):
        return [node.inputs[0]]
    return None


@local_rewrite(R.Sum, group="specialize")
def sum_of_broadcast_scalar(node):
    """sum(fill(x, c)) over all axes with a scalar c -> c * size(x) (a common gradient pattern)."""
    if not node.op.keepdims and _op(node.inputs[0], E.BroadcastLike):
        value, like = node.inputs[0].owner.inputs
        if value.ndim == 0 and node.op.axis == tuple(range(like.ndim)):
            return [cast(value * R.ReducedSize(node.op.axis)(like), node.outputs[0].dtype)]
    return None


@local_rewrite(S.Shape, group="specialize")
def shape_of_shape_preserving(node):
    """shape(f(x)) -> shape(x) when f keeps the shape (softmax, unary elementwise ops), so f
    is not computed only to learn its shape."""
    arg = node.inputs[0]
    op = _op(arg, nnet.Softmax, nnet.LogSoftmax, E.Elemwise)
    if op is None or (isinstance(op, E.Elemwise) and len(arg.owner.inputs) != 1):
        return None
    return [S.Shape()(arg.owner.inputs[0])]


@local_rewrite(ST.Subtensor, group="specialize")
def shape_length_from_source(node):
    """v.shape[i] -> u.shape[j] for the one input u of v's op that sets that length, or a constant
    where the static shape knows it: dropout's mask takes the batch size from the images, not from
    the activations, so its Shape node does not keep the activations' chain from fusing."""
    shape = node.inputs[0]
    if node.op.spec != ("int",) or not _op(shape, S.Shape) or not isinstance(node.inputs[1], Constant):
        return None
    v, dtype = shape.owner.inputs[0], node.outputs[0].dtype
    i = int(node.inputs[1].data) % v.ndim
    if v.type.shape[i] is not None:
        return [constant(v.type.shape[i], dtype=dtype)]
    source = _length_source(v, i)
    return None if source is None else [ST.Subtensor(("int",))(S.Shape()(source[0]), constant(source[1], dtype=dtype))]


def _length_source(v, i):
    """(u, j): the input u of v's op whose length j is v's length i, or None where it is not one input's."""
    if v.owner is None:
        return None
    op, inputs = v.owner.op, v.owner.inputs
    if isinstance(op, E.Elemwise):  # an input whose length there is a static 1 only broadcasts
        setting = [(u, j) for u in inputs for j in [i - v.ndim + u.ndim] if j >= 0 and u.type.shape[j] != 1]
        return setting[0] if len(setting) == 1 else None
    if isinstance(op, (nnet.Softmax, nnet.LogSoftmax)):
        return inputs[0], i
    if isinstance(op, L.Dot):
        x, y = inputs
        return (x, 0) if x.ndim == 2 and i == 0 else (y, 1) if y.ndim == 2 else None
    if isinstance(op, S.Flatten) and i < op.outdim - 1:
        return inputs[0], i
    if isinstance(op, S.DimShuffle) and op.pattern[i] != "x":
        return inputs[0], op.pattern[i]
    return None
