"""The C++ form of a chain of elementwise ops, shared by the GPU's generated kernels
(``kernels.cuda``) and the host's compiled ones (``kernels.native``): each op's form is in
``FORMS``, keyed by the op's class name (the kernels know no op classes), and a chain becomes one
line of C++ per step on values in registers. A chain with an op not listed has no C++ form.
The forms use only C++ that CUDA and the host compiler share (``<cmath>`` overloads, ternaries).
"""
import hashlib

import numpy as np

# Each form is a format string: {0}, {1}, ... the operands (named values, so one may appear
# twice), {T} the C++ type of the step's result and {F} the floating type it is computed in ({T},
# or double for an integer result). Operands are cast first where numpy computes in the result's
# dtype (int / int in a float result). NaN propagates as in numpy.
FORMS = {
    "Add": "({T}){0} + ({T}){1}",
    "Sub": "({T}){0} - ({T}){1}",
    "Mul": "({T}){0} * ({T}){1}",
    "TrueDiv": "({T}){0} / ({T}){1}",
    "Pow": "({T})pow(({F}){0}, ({F}){1})",
    "Maximum": "({T})(({0} < {1} || {1} != {1}) ? {1} : {0})",
    "Minimum": "({T})(({0} > {1} || {1} != {1}) ? {1} : {0})",
    "Neg": "-({T}){0}",
    "Abs": "({T})({0} < 0 ? -{0} : {0})",
    "Sgn": "({T})({0} != {0} ? {0} : ({0} > 0) - ({0} < 0))",
    "Exp": "exp(({T}){0})",
    "Log": "log(({T}){0})",
    "Log1p": "log1p(({T}){0})",
    "Sqrt": "sqrt(({T}){0})",
    "Square": "({T}){0} * ({T}){0}",
    "Sin": "sin(({T}){0})",
    "Cos": "cos(({T}){0})",
    "Tanh": "tanh(({T}){0})",
    "Sigmoid": "({T})0.5 + ({T})0.5 * tanh(({T})0.5 * ({T}){0})",
    "Softplus": "({0} > 0 ? ({T}){0} : ({T})0) + log1p(exp(-({T})({0} < 0 ? -{0} : {0})))",
    "Relu": "({T})({0} <= 0 ? 0 : {0})",
    "ReluGrad": "({T}){1} * ({T})({0} > 0)",
    "Clip": "({T})({0} != {0} ? {0} : {0} < {1} ? {1} : {0} > {2} ? {2} : {0})",
    "LT": "({T})({0} < {1})",
    "GT": "({T})({0} > {1})",
    "LE": "({T})({0} <= {1})",
    "GE": "({T})({0} >= {1})",
    "EQ": "({T})({0} == {1})",
    "NEQ": "({T})({0} != {1})",
    "And": "({T})({0} & {1})",
    "Or": "({T})({0} | {1})",
    "Invert": "({T})(!{0})",  # of booleans only (``elementwise_source``)
    "IsNan": "({T})({0} != {0})",
    "Switch": "({T})({0} ? ({T}){1} : ({T}){2})",
    "Cast": "({T}){0}",
}

C_TYPES = {"float32": "float", "float64": "double", "float16": None, "bool": "bool", "int8": "signed char",
           "int16": "short", "int32": "int", "int64": "long long", "uint8": "unsigned char",
           "uint16": "unsigned short", "uint32": "unsigned int", "uint64": "unsigned long long"}


def elementwise_source(nodes, inputs):
    """(in_params, out_params, operation, name) of a ``cupy.ElementwiseKernel`` computing the chain
    ``nodes`` from ``inputs`` into ``out``, or None when an op or a dtype has no C++ form here."""
    names = {v: f"i{k}" for k, v in enumerate(inputs)}
    types = [C_TYPES.get(np.dtype(v.dtype).name) for v in inputs + [n.outputs[0] for n in nodes]]
    if None in types or any(type(n.op).__name__ not in FORMS for n in nodes):
        return None
    if any(type(n.op).__name__ == "Invert" and n.inputs[0].dtype != "bool" for n in nodes):
        return None  # numpy's ~ of an integer flips its bits
    lines = []
    for k, node in enumerate(nodes):
        out = node.outputs[0]
        c_type = C_TYPES[np.dtype(out.dtype).name]
        f_type = c_type if c_type in ("float", "double") else "double"
        expr = FORMS[type(node.op).__name__].format(*[names[v] for v in node.inputs], T=c_type, F=f_type)
        last = k == len(nodes) - 1
        names[out] = "out" if last else f"t{k}"
        lines.append(f"out = {expr};" if last else f"const {c_type} t{k} = {expr};")
    in_params = ", ".join(f"{np.dtype(v.dtype).name} i{k}" for k, v in enumerate(inputs))
    out_params = f"{np.dtype(nodes[-1].outputs[0].dtype).name} out"
    operation = "\n".join(lines)
    name = "composite_" + hashlib.sha1((in_params + out_params + operation).encode()).hexdigest()[:12]
    return in_params, out_params, operation, name
