"""The generated ElementwiseKernel source of composites (``kernels.cuda``), checked without a GPU:
each kernel body is compiled with g++ into a loop over the elements and its values compared with
numpy's, for hand-picked chains and for every composite of the course's training steps."""
import ctypes
import shutil
import subprocess

import numpy as np
import pytest

import minitheano as th
import minitheano.tensor as T
from minitheano import layers, nonlinearities as nl, objectives, updates
from minitheano.graph import Constant, toposort
from minitheano.kernels.csource import C_TYPES, elementwise_source
from minitheano.ops.composite import Composite, Finished

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++ to compile the kernel bodies")

PRELUDE = "#include <cmath>\n#include <math.h>\nusing namespace std;\n"


def _host_loop(name, in_params, out_params, operation):
    """C++ that runs the kernel body once per element, as cupy's generated kernel does on the GPU."""
    params = [p.split() for p in in_params.split(", ")] + [out_params.split()]
    lines = [f'extern "C" void {name}(long n, void** p) {{', "  for (long k = 0; k < n; ++k) {"]
    for j, (dtype, var) in enumerate(params[:-1]):
        lines.append(f"    const {C_TYPES[dtype]} {var} = (({C_TYPES[dtype]}*)p[{j}])[k];")
    dtype, var = params[-1]
    lines.append(f"    {C_TYPES[dtype]}& {var} = (({C_TYPES[dtype]}*)p[{len(params) - 1}])[k];")
    lines += ["    " + line for line in operation.splitlines()] + ["  }", "}"]
    return "\n".join(lines)


def compiled(sources, tmp_path):
    """The kernels ``sources`` (elementwise_source tuples) compiled into one library with g++."""
    code = PRELUDE + "\n".join(_host_loop(s[3], *s[:3]) for s in dict((s[3], s) for s in sources).values())
    (tmp_path / "kernels.cpp").write_text(code)
    lib = tmp_path / "kernels.so"
    subprocess.run(["g++", "-O1", "-shared", "-fPIC", "-o", str(lib), str(tmp_path / "kernels.cpp")],
                   check=True, capture_output=True, text=True)
    return ctypes.CDLL(str(lib))


def run_kernel(lib, source, values, out_dtype):
    """The compiled kernel's result on ``values`` (broadcast to one shape first, as cupy does)."""
    shape = np.broadcast_shapes(*(np.shape(v) for v in values))
    args = [np.ascontiguousarray(np.broadcast_to(v, shape)) for v in values]
    out = np.empty(shape, dtype=out_dtype)
    pointers = (ctypes.c_void_p * (len(args) + 1))(*[a.ctypes.data for a in args + [out]])
    assert len(values) == len(source[0].split(", "))
    getattr(lib, source[3])(ctypes.c_long(out.size), pointers)
    return out


def composites_of(f):
    """Every composite ``f`` runs, with its inputs: its own nodes' and those finishing a kernel."""
    found = []
    for node in toposort(f.linked):
        if isinstance(node.op, Composite):
            found.append((node.op, node.inputs))
        elif isinstance(node.op, Finished):
            head, then = node.op._parts(node.inputs)
            found.append((then.op, then.inputs))
    return found


def values_for(inputs, rng, size=3):
    """Random values of ``inputs``' dtypes and static shapes (floats 10% exact zeros), an unknown
    length taken from another input's known one on the same axis (else ``size``)."""
    ndim = max(v.ndim for v in inputs)
    known = {}
    for v in inputs:
        for axis, d in enumerate(v.type.shape, ndim - v.ndim):
            if d not in (None, 1):
                known[axis] = d
    values = []
    for v in inputs:
        if isinstance(v, Constant):
            values.append(np.asarray(v.data))
            continue
        shape = tuple(known.get(axis, size) if d is None else d for axis, d in enumerate(v.type.shape, ndim - v.ndim))
        kind = np.dtype(v.dtype).kind
        if kind == "f":
            values.append(np.where(rng.random(shape) < 0.1, 0, rng.normal(size=shape)).astype(v.dtype))
        elif kind == "b":
            values.append(rng.random(shape) < 0.5)
        else:
            values.append(rng.integers(-4, 5, size=shape).astype(v.dtype))
    return values


def assert_kernels_match_numpy(cases, tmp_path, rng, rtol=2e-6, atol=1e-6):
    lib = compiled([source for source, _, _ in cases], tmp_path)
    for source, op, inputs in cases:
        values = values_for(inputs, rng)
        with np.errstate(all="ignore"):
            expected = np.asarray(op.impl(np, *values))
        got = run_kernel(lib, source, values, expected.dtype)
        assert got.dtype == expected.dtype, op
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True, err_msg=f"{op}\n{source[2]}")


def composite(expr, *variables):
    """The single composite ``expr`` compiles to, with its inputs."""
    f = th.function(list(variables), expr, on_unused_input="ignore")
    found = composites_of(f)
    assert len(found) == 1, [str(op) for op, _ in found]
    return found[0]


def test_a_kernel_body_declares_each_step_and_writes_out():
    x, m = T.matrix("x"), T.matrix("m")
    op, inputs = composite(T.relu(x * 2 - 1) * m / 0.6, x, m)
    in_params, out_params, operation, name = elementwise_source(op.inner_nodes(inputs), inputs)
    assert in_params.split(", ") == [f"{np.dtype(v.dtype).name} i{k}" for k, v in enumerate(inputs)]
    assert out_params == "float32 out" and len(inputs) == op.nin
    assert operation.count("const float t") == len(op.steps) - 1 and operation.splitlines()[-1].startswith("out = ")
    assert name.startswith("composite_") and name == elementwise_source(op.inner_nodes(inputs), inputs)[3]


def test_hand_picked_chains_match_numpy(tmp_path):
    x, y, z = T.matrix("x"), T.matrix("y"), T.vector("z")
    a, b = T.imatrix("a"), T.imatrix("b")
    d = T.dmatrix("d")
    exprs = [
        (T.sigmoid(x) * T.tanh(y) + T.exp(-T.abs_(x)), x, y),
        (T.softplus(x * 3) - T.log1p(T.square(y)) + T.sqrt(T.abs_(x) + 1), x, y),
        (T.switch(T.gt(x, y), x * z, T.maximum(y, z) - T.minimum(x, 0.5)), x, y, z),
        (T.clip(x * 2, -1, 1) + T.sgn(y) + T.log(T.abs_(y) + 1e-3) * T.sin(x) * T.cos(y), x, y),
        (x ** 3 + T.abs_(y) ** 0.7 + (x > 0) * y, x, y),
        ((a + b) * 3 - a + T.cast(T.gt(a, b) & T.lt(a, 2), "int32") + (a ** 2), a, b),
        (T.cast(a, "float32") / (T.cast(b, "float32") ** 2 + 1) + x, a, b, x),
        (T.cast((T.eq(a, b) | T.neq(a, 0)) & T.le(a, 1), "float32") * x + T.cast(T.ge(b, 0), "float32"), a, b, x),
        (T.exp(d) * 2 + T.cast(x, "float64") - d * d, d, x),
    ]
    rng = np.random.default_rng(0)
    cases = []
    for expr, *variables in exprs:
        op, inputs = composite(expr, *variables)
        cases.append((elementwise_source(op.inner_nodes(inputs), inputs), op, inputs))
    assert_kernels_match_numpy(cases, tmp_path, rng)


def test_nan_and_infinity_propagate_as_in_numpy(tmp_path):
    x, y = T.matrix("x"), T.matrix("y")
    op, inputs = composite(T.maximum(x, y) + T.minimum(x, y) * 0 + T.relu(x) + T.abs_(y) + T.sgn(x), x, y)
    source = elementwise_source(op.inner_nodes(inputs), inputs)
    lib = compiled([source], tmp_path)
    given = {x: np.array([[np.nan, 1.0, -np.inf, 2.0]], "float32"),
             y: np.array([[0.5, np.nan, 3.0, np.inf]], "float32")}
    values = [given[v] if v in given else np.asarray(v.data) for v in inputs]
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(run_kernel(lib, source, values, np.float32), op.impl(np, *values))


def bn_dropout_net(filters=4, units=16):
    """A small batch-normalised ConvNet with dropout, trained with Adam: (X, y, loss, updates)."""
    X, y = T.tensor4("X"), T.ivector("y")
    net = layers.InputLayer((None, 1, 12, 12), input_var=X)
    net = layers.MaxPool2DLayer(layers.batch_norm(layers.Conv2DLayer(net, filters, 3)), 2)
    net = layers.DropoutLayer(layers.DenseLayer(net, units, nonlinearity=nl.rectify), p=0.3)
    net = layers.DenseLayer(net, 10, nonlinearity=nl.softmax)
    loss = objectives.categorical_crossentropy(layers.get_output(net), y).mean()
    return X, y, loss, updates.adam(loss, layers.get_all_params(net, trainable=True), 1e-3)


@pytest.mark.parametrize("kind", ["mlp", "cnn", "bn"])
def test_every_composite_of_a_training_step_gets_a_kernel_with_numpy_values(kind, tmp_path):
    """The MLP (dropout, RMSprop), the ConvNet (momentum) and batch norm with Adam: no composite
    of theirs falls back to one ufunc per step on the GPU, and each kernel computes numpy's values."""
    from bench.training import train_graph

    th.random.set_seed(0)
    X, y, loss, upd = bn_dropout_net() if kind == "bn" else train_graph(kind)
    f = th.function([X, y], loss, updates=upd)
    found = composites_of(f)
    assert len(found) >= 5
    cases = [(elementwise_source(op.inner_nodes(inputs), inputs), op, inputs) for op, inputs in found]
    assert all(source is not None for source, _, _ in cases), [str(op) for (s, op, _) in cases if s is None]
    assert_kernels_match_numpy(cases, tmp_path, np.random.default_rng(1), rtol=1e-5, atol=1e-6)


def test_an_op_without_a_cuda_form_leaves_the_chain_to_ufuncs():
    a, b = T.imatrix("a"), T.imatrix("b")
    op, inputs = composite((a // b) + a * 2, a, b)
    assert elementwise_source(op.inner_nodes(inputs), inputs) is None
