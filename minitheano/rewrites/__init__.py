"""Graph rewrites: small named transformations that keep values and improve the graph.

A local rewrite declares the ops it tracks (``@local_rewrite(E.Log, group="stabilize")``),
looks at one node with such an op, and returns replacement outputs or None. Groups:
  canonicalize  simpler equivalent forms (x*y/x -> y, x - x -> 0, x*1 -> x, x.T.T -> x)
  stabilize     numerically safer forms (log(1+exp(x)) -> softplus(x), log(softmax) -> log_softmax)
  specialize    drop work that static shapes prove useless (sum_to_shape, broadcast, casts),
                cheaper ops for the same values (x ** 2 -> square(x); a relu's gradient mask
                taken on the pooled maps), one length of a shape read from where it comes
                from (x.shape[0] of relu(x @ W + b) -> x.shape[0]), and the shape a gradient
                is summed back to (sum_to_shape(g, x / 0.6) -> sum_to_shape(g, x))
Global rewrites: ``merge`` (one node per distinct computation) and ``constant_fold``
(``compile.fuse`` fuses elementwise chains when linking).
``rewrite_graph`` runs them all; ``function`` calls it unless the mode is FAST_COMPILE.
``core`` holds the machinery; the rules sit by subject in ``algebra``, ``stability``, ``shape``
and ``nnet``, and register themselves in ``GROUPS`` when imported here.
"""
from .core import (  # noqa: F401 (the package's interface)
    GROUPS, _rebuild, apply_local, check_rewrites, constant_fold, local_rewrite, merge, rewrite_graph, stabilize,
    tracks_op)
from .algebra import cancel_mul_div, double_negation, merge_dimshuffles, neutral_element, pow_specialize, \
    sub_self_to_zero  # noqa: F401 (each rule module registers its rewrites in GROUPS)
from .nnet import relu_grad_before_max_pool_grad  # noqa: F401
from .shape import shape_length_from_source, shape_of_shape_preserving, sum_of_broadcast_scalar, \
    sum_to_shape_of_the_shape_source, useless_broadcast, useless_sum_to_shape  # noqa: F401
from .stability import log1p_exp_to_softplus, log_sigmoid_to_softplus, log_softmax_rewrite  # noqa: F401
