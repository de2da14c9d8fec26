"""``depend(value, *also)``: ``value``, with ``also`` kept in the graph.

A compiled function updates the shared variables its graph contains (their
``default_update``). A layer whose output must advance a shared variable it does not
compute with (batch normalisation's running averages) attaches it to its output this way.
"""
from ..graph import Apply, Op, as_variable


class Depend(Op):
    """The first input unchanged; the others are only carried along."""

    def make_node(self, value, *also):
        value = as_variable(value)
        return Apply(self, [value, *[as_variable(a) for a in also]], [value.type])

    def perform(self, xp, value, *also):
        return value

    def grad(self, node, grads):
        return [grads[0]] + [None] * (len(node.inputs) - 1)

    def pp(self, node, args):
        return f"depend({', '.join(args)})"


depend = Depend()
