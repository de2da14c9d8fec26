"""Looking at graphs: ``pp`` (infix text), ``debugprint`` (indented tree), ``draw`` (SVG)."""
import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import minitheano as th
import minitheano.tensor as T
from minitheano.graph import graph_inputs, toposort

SVG = "{http://www.w3.org/2000/svg}"


def two_layer_network():
    x = T.vector("x")
    W1, b1 = T.matrix("W1"), T.vector("b1")
    W2, b2 = T.matrix("W2"), T.vector("b2")
    return T.sigmoid(b2 + T.dot(W2.T, T.sigmoid(b1 + T.dot(W1.T, x))))


# pp ------------------------------------------------------------------------------------

def test_pp_product():
    a, b = T.scalar("A"), T.scalar("B")
    assert th.pp(a * b) == "(A * B)"


def test_pp_two_layer_network():
    assert th.pp(two_layer_network()) == "sigmoid((b2 + (W2.T dot sigmoid((b1 + (W1.T dot x))))))"


def test_pp_with_shared_variables_and_constants():
    W = th.shared(np.zeros((3, 2), "float32"), name="W")
    b = th.shared(np.zeros(2, "float32"), name="b")
    X = T.matrix("X")
    assert th.pp(T.tanh(T.dot(X, W) + b) * 2 - 1.5) == "((tanh(((X dot W) + b)) * 2) - 1.5)"


@pytest.mark.parametrize("build, text", [
    (lambda x, i: -x, "-x"),
    (lambda x, i: x ** 2 / 3, "((x ** 2) / 3)"),
    (lambda x, i: x.sum(axis=1), "sum(x, axis=1)"),
    (lambda x, i: x.mean(), "mean(x)"),
    (lambda x, i: T.max(x, axis=0, keepdims=True), "max(x, axis=0, keepdims=True)"),
    (lambda x, i: x[1:3], "x[1:3]"),
    (lambda x, i: x[:, 0], "x[:, 0]"),
    (lambda x, i: x[::2, i], "x[::2, i]"),
    (lambda x, i: x[None], "x[None]"),
    (lambda x, i: x.dimshuffle(0, "x", 1), "x.dimshuffle(0, 'x', 1)"),
    (lambda x, i: x.flatten(2), "flatten(x, 2)"),
    (lambda x, i: T.switch(x > 0, x, 0), "switch((x > 0), x, 0)"),
    (lambda x, i: T.softmax(x), "softmax(x)"),
    (lambda x, i: T.log_softmax(x), "log_softmax(x)"),
    (lambda x, i: T.cast(x, "int32"), "cast<int32>(x)"),
    (lambda x, i: T.concatenate([x, x], axis=1), "concatenate([x, x], axis=1)"),
    (lambda x, i: x.shape, "x.shape"),
    (lambda x, i: abs(x), "abs(x)"),
])
def test_pp_forms(build, text):
    assert th.pp(build(T.matrix("x"), T.lscalar("i"))) == text


def test_pp_unnamed_input_shows_its_type():
    assert th.pp(T.vector() + 1) == "(<vector(float32)> + 1)"


def test_pp_of_a_list_and_of_a_compiled_function():
    x = T.vector("x")
    assert th.pp([x + 1, x * 2]) == "(x + 1)\n(x * 2)"
    f = th.function([x], T.log(1 + T.exp(x)))
    assert th.pp(f) == "softplus(x)"  # a function shows its graph after rewriting


def test_pp_of_a_gradient_is_an_expression_of_the_inputs():
    x = T.scalar("x")
    text = th.pp(th.grad(x ** 3, x))
    assert "x" in text and "**" in text


# debugprint --------------------------------------------------------------------------------

def test_debugprint_tree_structure():
    x = T.vector("x")
    w = th.shared(np.ones(3, "float32"), name="w")
    e = T.exp(x)
    out = e + e * w
    text = th.debugprint(out, file=io.StringIO())
    assert text.splitlines() == [
        "add [id A]  vector(float32)",
        "├─ exp [id B]  vector(float32)",
        "│  └─ x [input] [id C]  vector(float32)",
        "└─ mul [id D]  vector(float32)",
        "   ├─ exp [id B]  vector(float32) ···",
        "   └─ w [shared] [id E]  vector(float32)",
    ]


def test_debugprint_prints_to_stdout_and_can_omit_types(capsys):
    x = T.vector("x")
    assert th.debugprint(x * 2, print_type=False) is None
    printed = capsys.readouterr().out.splitlines()
    assert printed == ["mul [id A]", "├─ x [input] [id B]", "└─ 2 [const] [id C]"]


def test_debugprint_names_outputs_of_multi_output_nodes_and_named_results():
    from minitheano.random import RandomStreams
    u = RandomStreams(seed=0).uniform((2,))
    named = (u * 2)
    named.name = "scaled"
    text = th.debugprint(named, file=io.StringIO(), print_type=False)
    assert text.splitlines()[0] == "mul 'scaled' [id A]"
    assert "RandomOp{uniform, float32, 1}.1 [id B]" in text and "rng_state0 [shared]" in text


def test_debugprint_of_a_large_graph_has_distinct_ids():
    x = T.vector("x")
    first = x[0]
    out = T.stack([first + k for k in range(800)])
    text = th.debugprint(out, file=io.StringIO())
    ids = {line.split("[id ")[1].split("]")[0] for line in text.splitlines()}
    # the join, 800 dimshuffles and additions, x[0], x, its index 0 and the 800 constants k
    assert len(ids) == 1 + 800 + 800 + 1 + 1 + 1 + 800
    assert {"A", "Z", "AA", "ZZ", "AAA"} <= ids


# draw --------------------------------------------------------------------------------------

def test_draw_returns_an_svg_with_a_box_per_op_and_leaf():
    y = two_layer_network()
    picture = th.draw(y, title="2-layer network")
    svg = picture._repr_svg_()
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    rects = [r for r in root.findall(f"{SVG}rect") if r.get("stroke")]  # boxes, not the background
    n_ops, n_leaves = len(toposort([y])), len(graph_inputs([y]))
    assert (n_ops, n_leaves) == (8, 5)
    assert len(rects) == n_ops + n_leaves
    labels = [t.text for t in root.iter(f"{SVG}text")]
    for name in ("x", "W1", "b1", "W2", "b2", "sigmoid", "dot", "+", ".T", "2-layer network"):
        assert name in labels
    arrows = root.findall(f"{SVG}path")
    assert len(arrows) == sum(len(n.inputs) for n in toposort([y]))
    outlined = [r for r in rects if r.get("stroke") == "#c62828"]
    assert len(outlined) == 1


def test_draw_shows_kinds_of_leaves_and_compiled_functions(tmp_path):
    x = T.vector("x")
    w = th.shared(np.ones(2, "float32"), name="w")
    f = th.function([x], T.log(1 + T.exp(x * w)))
    root = ET.fromstring(th.draw(f).svg)
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert "softplus" in labels and "log" not in labels
    fills = {r.get("fill") for r in root.iter(f"{SVG}rect")}
    assert {"#c8e6c9", "#bbdefb", "#fff3c4"} <= fills  # input, shared, op
    path = tmp_path / "graph.svg"
    th.draw(x * 2).save(str(path))
    ET.parse(path)  # a valid file


def test_draw_escapes_labels():
    x = T.vector("a<b&c")
    root = ET.fromstring(th.draw(x > 0).svg)
    assert "a<b&c" in [t.text for t in root.iter(f"{SVG}text")]


def test_draw_lifts_a_leaf_used_in_several_rows_so_its_edges_pass_either_side():
    import re

    x, z = T.scalar("x"), T.scalar("z")
    svg = th.draw(x * z / x).svg
    boxes = re.findall(r'<text x="[\d.]+" y="([\d.]+)" text-anchor="middle">(\w)</text>', svg)
    rows = {label: float(y) for y, label in boxes}
    assert rows["x"] < rows["z"], svg  # x above z: x's edges to * (left) and / (right) go round z, uncrossed
    labels = re.findall(r'<text [^>]*font-size="(\d+)"[^>]*>[01]</text>', svg)
    assert labels and all(int(size) >= 11 for size in labels)  # readable input-index labels
