"""``Composite``: a chain of elementwise ops computed as one node (``compile.fuse`` makes them
when compiling), in one call that reuses its temporaries (``kernels.fused``); and ``Finished``:
a kernel whose result such a chain finishes chunk by chunk (``kernels.epilogue``)."""
from ..graph import Apply, Op, TensorType, as_variable
from ..kernels import fused
from ..kernels.epilogue import Epilogue
from .broadcast import Elemwise


class Composite(Elemwise):
    """The elementwise ops ``steps`` applied in order as one node: each step is (op, refs), refs
    numbering the composite's inputs first and then the results of the steps before."""

    __props__ = ("steps", "nin")

    def __init__(self, steps, nin):
        self.steps = tuple((op, tuple(refs)) for op, refs in steps)
        self.nin = nin

    @property
    def name(self):
        return "composite"

    def __str__(self):
        return f"Composite{{{self.formula()}}}"

    def formula(self, names=None):
        """The steps written as one expression of the inputs (named i0, i1, ... unless ``names``)."""
        texts = list(names or (f"i{k}" for k in range(self.nin)))
        for op, refs in self.steps:
            texts.append(op.pp(None, [texts[r] for r in refs]))
        return texts[-1]

    def inner_nodes(self, inputs):
        """The steps as Apply nodes of their own, on ``inputs`` (variables of the composite's types)."""
        values, nodes = list(inputs), []
        for op, refs in self.steps:
            nodes.append(op.make_node(*[values[r] for r in refs]))
            values.append(nodes[-1].outputs[0])
        return nodes

    def make_node(self, *inputs):
        if len(inputs) != self.nin:
            raise TypeError(f"{self} takes {self.nin} inputs, got {len(inputs)}")
        inputs = [as_variable(i) for i in inputs]
        out = self.inner_nodes(inputs)[-1].outputs[0]
        return Apply(self, inputs, [TensorType(out.dtype, out.type.shape)])

    def impl(self, xp, *args):
        values = list(args)
        for op, refs in self.steps:
            values.append(op.impl(xp, *[values[r] for r in refs]))
        return values[-1]

    def grad(self, node, grads):
        raise NotImplementedError(
            f"{self} has no gradient: the fuse_elemwise rewrite makes composites when compiling, after "
            "gradients are taken; differentiate the graph before compiling (th.grad on the unfused graph).")

    def make_thunk(self, node, xp):
        return fused.composite_thunk(self.inner_nodes(node.inputs), node.inputs, xp)

    def make_inplace_thunk(self, node, xp, i):
        if node.inputs[i].dtype != node.outputs[0].dtype:
            return None
        thunk = fused.composite_thunk(self.inner_nodes(node.inputs), node.inputs, xp)
        return lambda *args: thunk(*args, out=args[i])

    def make_update_thunk(self, node, xp):
        return fused.composite_thunk(self.inner_nodes(node.inputs), node.inputs, xp)

    def pp(self, node, args):
        return f"composite({self.formula(args)})"


class Finished(Op):
    """``then(..., producer(*inputs[:nhead]), ...)`` as one node: the producer's kernel applies the
    elementwise op ``then`` (a ``Composite``; the producer's result is its input ``slot``) to each
    chunk of its result while the chunk is in the cache (``kernels.epilogue``): a convolution's
    bias and relu, or the relu gradient's mask on an input gradient. ``fuse_epilogues`` makes them."""

    __props__ = ("producer", "then", "slot", "nhead")
    fresh_output = True

    def __init__(self, producer, then, slot, nhead):
        self.producer, self.then, self.slot, self.nhead = producer, then, slot, nhead

    @property
    def name(self):
        return self.producer.name

    @property
    def threaded(self):
        return getattr(self.producer, "threaded", False)

    def __str__(self):
        names = [f"i{k}" for k in range(self.then.nin - 1)]
        names.insert(self.slot, "_")
        return f"{self.producer} then {{{self.then.formula(names)}}}"

    def _parts(self, inputs):
        head = self.producer.make_node(*inputs[:self.nhead])
        args = list(inputs[self.nhead:])
        args.insert(self.slot, head.outputs[0])
        return head, self.then.make_node(*args)

    def make_node(self, *inputs):
        inputs = [as_variable(i) for i in inputs]
        out = self._parts(inputs)[1].outputs[0]
        return Apply(self, inputs, [TensorType(out.dtype, out.type.shape)])

    def make_thunk(self, node, xp):
        thunk = self.then.make_thunk(self._parts(node.inputs)[1], xp)
        perform, nhead, slot = self.producer.perform, self.nhead, self.slot

        def run(*values):
            then = Epilogue(thunk, slot, values[nhead:])
            result = perform(xp, *values[:nhead], then=then)
            if then.applied:
                return result
            args = list(values[nhead:])  # the kernel could not (a result the extras broadcast beyond)
            args.insert(slot, result)
            return thunk(*args)

        return run

    def grad(self, node, grads):
        raise NotImplementedError(f"{self} has no gradient: fuse_epilogues makes it when compiling, after "
                                  "gradients are taken.")

    def pp(self, node, args):
        return f"{self.producer.name}_then({', '.join(args)})"
