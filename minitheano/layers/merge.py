"""Layers that combine several inputs."""
from .. import tensor as T
from .base import MergeLayer


class ConcatLayer(MergeLayer):
    """Concatenates its inputs along ``axis``; the other axes must agree."""

    def __init__(self, incomings, axis=1, **kwargs):
        super().__init__(incomings, **kwargs)
        self.axis = axis
        self.get_output_shape_for(self.input_shapes)  # fail now, naming the shapes

    def get_output_shape_for(self, input_shapes):
        ndim = len(input_shapes[0])
        axis = self.axis % ndim
        for shape in input_shapes:
            if len(shape) != ndim:
                raise ValueError(f"{self!r}: inputs of shapes {input_shapes} have different numbers of dims")
        out = []
        for i, sizes in enumerate(zip(*input_shapes)):
            if i == axis:
                out.append(None if None in sizes else sum(sizes))
                continue
            known = {s for s in sizes if s is not None}
            if len(known) > 1:
                raise ValueError(f"{self!r}: input shapes {input_shapes} differ on axis {i}, not only on the "
                                 f"concatenation axis {axis}")
            out.append(known.pop() if known else None)
        return tuple(out)

    def get_output_for(self, inputs, **kwargs):
        return T.concatenate(inputs, axis=self.axis % inputs[0].ndim)


concat = ConcatLayer


class ElemwiseSumLayer(MergeLayer):
    """The weighted sum of its inputs (all of the same shape); ``coeffs`` a number or one per input."""

    def __init__(self, incomings, coeffs=1, **kwargs):
        super().__init__(incomings, **kwargs)
        self.coeffs = list(coeffs) if isinstance(coeffs, (list, tuple)) else [coeffs] * len(incomings)
        if len(self.coeffs) != len(incomings):
            raise ValueError(f"{self!r}: {len(self.coeffs)} coefficients for {len(incomings)} inputs")
        self.get_output_shape_for(self.input_shapes)

    def get_output_shape_for(self, input_shapes):
        out = []
        for i, sizes in enumerate(zip(*input_shapes)):
            known = {s for s in sizes if s is not None}
            if len(known) > 1 or any(len(s) != len(input_shapes[0]) for s in input_shapes):
                raise ValueError(f"{self!r}: inputs must have the same shape, got {input_shapes}")
            out.append(known.pop() if known else None)
        return tuple(out)

    def get_output_for(self, inputs, **kwargs):
        total = None
        for coeff, x in zip(self.coeffs, inputs):
            term = x if coeff == 1 else coeff * x
            total = term if total is None else total + term
        return total
