"""Looking at graphs: ``pp`` (one-line infix), ``debugprint`` (indented tree) and ``draw``
(an SVG picture that renders inline in JupyterLab; pure Python, nothing to install).
"""
import html
import itertools
import string

from .compile import Function
from .graph import Constant, SharedVariable, Variable, as_variable, graph_inputs, toposort


def _outputs_of(obj):
    """The variables to show for a variable, a list of them, or a compiled function (after rewrites)."""
    if isinstance(obj, Function):
        return list(obj.graph)
    if isinstance(obj, (list, tuple)):
        return [as_variable(v) for v in obj]
    return [as_variable(obj)]


def _leaf_label(v):
    if isinstance(v, Constant):
        return repr(v)
    return v.name or f"<{v.type!r}>"


def pp(obj):
    """The expression as one line of infix text, e.g. ``sigmoid((b + (W.T dot x)))``."""
    memo = {}

    def fmt(v):
        if v in memo:
            return memo[v]
        if v.owner is None:
            text = _leaf_label(v)
        else:
            args = [fmt(i) for i in v.owner.inputs]
            op = v.owner.op
            text = op.pp(v.owner, args) if hasattr(op, "pp") else f"{op}({', '.join(args)})"
            if len(v.owner.outputs) > 1 and v.index != len(v.owner.outputs) - 1:
                text = f"{text}.{v.index}"
        memo[v] = text
        return text

    return "\n".join(fmt(v) for v in _outputs_of(obj))


def _ids():
    """A, B, ..., Z, AA, AB, ...: as many distinct ids as a graph needs."""
    for length in itertools.count(1):
        for letters in itertools.product(string.ascii_uppercase, repeat=length):
            yield "".join(letters)


def debugprint(obj, file=None, print_type=True):
    """Print the graph as an indented tree; a node seen before is shown once, then by its id."""
    lines, ids, id_gen = [], {}, _ids()

    def describe(v, ident):
        if v.owner is None:
            kind = "shared" if isinstance(v, SharedVariable) else "const" if isinstance(v, Constant) else "input"
            label = f"{_leaf_label(v)} [{kind}]"
        else:
            label = str(v.owner.op) + (f".{v.index}" if len(v.owner.outputs) > 1 else "")
            if v.name:
                label += f" '{v.name}'"
        return f"{label} [id {ident}]" + (f"  {v.type!r}" if print_type else "")

    def walk(v, prefix, child_prefix):
        key = v.owner if v.owner is not None else v
        if v.owner is not None and key in ids:
            lines.append(f"{prefix}{describe(v, ids[key])} ···")
            return
        if key not in ids:
            ids[key] = next(id_gen)
        lines.append(f"{prefix}{describe(v, ids[key])}")
        if v.owner is None:
            return
        inputs = v.owner.inputs
        for k, inp in enumerate(inputs):
            last = k == len(inputs) - 1
            walk(inp, child_prefix + ("└─ " if last else "├─ "), child_prefix + ("   " if last else "│  "))

    for out in _outputs_of(obj):
        walk(out, "", "")
    text = "\n".join(lines)
    if file is None:
        print(text)
    else:
        file.write(text + "\n")
    return text if file is not None else None


class GraphPicture:
    """An SVG drawing of a graph; JupyterLab shows it inline (``_repr_svg_``)."""

    def __init__(self, svg):
        self.svg = svg

    def _repr_svg_(self):
        return self.svg

    def save(self, path):
        with open(path, "w") as f:
            f.write(self.svg)


_COLOURS = {"input": "#c8e6c9", "shared": "#bbdefb", "const": "#eeeeee", "op": "#fff3c4", "output": "#ffcdd2"}


def draw(obj, title=None):
    """A picture of the graph: inputs (green), shared variables (blue), constants (grey) and
    ops (yellow boxes) from top to bottom, with the outputs outlined in red."""
    outputs = _outputs_of(obj)
    nodes = toposort(outputs)
    leaves = graph_inputs(outputs)

    def item_of(v):
        return v if v.owner is None else v.owner

    items = leaves + nodes  # a leaf is drawn as itself, a node as its op
    level = {leaf: 0 for leaf in leaves}
    for node in nodes:
        level[node] = 1 + max((level[item_of(i)] for i in node.inputs), default=0)
    # Each leaf sits just above its first user, so inputs are drawn near where they are used.
    first_use = {}
    for node in nodes:
        for inp in node.inputs:
            if inp.owner is None:
                first_use[inp] = min(first_use.get(inp, level[node]), level[node])
    # A leaf that several rows use sits a row higher, so its edges can pass either side of its neighbours.
    use_levels = {}
    for node in nodes:
        for inp in node.inputs:
            use_levels.setdefault(inp, set()).add(level[node])
    for leaf in leaves:
        level[leaf] = first_use.get(leaf, 1) - 1 - (len(use_levels.get(leaf, ())) > 1)
    lowest = min(level[leaf] for leaf in leaves)
    for it in items:
        level[it] -= lowest

    # An edge spanning several rows passes through waypoints, one per row, so it never runs
    # behind a box; rows are then ordered to keep edges short and inputs in argument order.
    rows, preds, succs, edges = {}, {}, {}, []
    for it in items:
        rows.setdefault(level[it], []).append(it)
    for node in nodes:
        for k, inp in enumerate(node.inputs):
            chain = [item_of(inp)]
            for depth in range(level[chain[0]] + 1, level[node]):
                waypoint = _Waypoint()
                level[waypoint] = depth
                rows.setdefault(depth, []).append(waypoint)
                chain.append(waypoint)
            chain.append(node)
            edges.append((node, k, chain))
            for a, b in zip(chain, chain[1:]):
                preds.setdefault(b, []).append(a)
                succs.setdefault(a, []).append((b, (k + 1) / (len(node.inputs) + 1) if b is node else 0.5))

    def place(it):
        row = rows[level[it]]
        return (row.index(it) + 0.5) / len(row)

    depths = sorted(rows)
    for _ in range(3):
        for depth in depths[1:]:
            rows[depth].sort(key=lambda it: sum(map(place, preds[it])) / len(preds[it]) if preds.get(it) else 0.5)
        for depth in reversed(depths[:-1]):
            here = {it: place(it) for it in rows[depth]}  # list.sort empties the list while it sorts

            def below(it):
                targets = succs.get(it, [])
                if not targets:
                    return here[it]
                return sum(place(t) + (frac - 0.5) / max(len(rows[level[t]]), 1) for t, frac in targets) / len(targets)
            rows[depth].sort(key=below)

    out_items = {item_of(o) for o in outputs}
    box_w, box_h, gap_x, gap_y, way_w = 130, 34, 24, 46, 16
    widths = {it: way_w if isinstance(it, _Waypoint) else box_w for row in rows.values() for it in row}
    row_width = {d: sum(widths[it] + gap_x for it in row) - gap_x for d, row in rows.items()}
    width = max(row_width.values()) + 2 * gap_x
    top = 24 if title else 0
    height = top + len(depths) * (box_h + gap_y) + gap_y / 2
    pos = {}
    for depth, row in rows.items():
        x = (width - row_width[depth]) / 2
        for it in row:
            pos[it] = (x, top + gap_y / 2 + depth * (box_h + gap_y))
            x += widths[it] + gap_x

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
             f'font-family="monospace" font-size="12">',
             f'<rect width="{width:.0f}" height="{height:.0f}" fill="white"/>',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>']
    if title:
        parts.append(f'<text x="{width / 2:.0f}" y="16" text-anchor="middle" font-weight="bold">'
                     f'{html.escape(title)}</text>')
    for node, k, chain in edges:
        src = chain[0]
        points = [(pos[src][0] + widths[src] / 2, pos[src][1] + box_h)]
        for waypoint in chain[1:-1]:
            cx = pos[waypoint][0] + way_w / 2
            points += [(cx, pos[waypoint][1]), (cx, pos[waypoint][1] + box_h)]
        end_x = pos[node][0] + box_w * (k + 1) / (len(node.inputs) + 1)
        points.append((end_x, pos[node][1]))
        d = f"M{points[0][0]:.0f},{points[0][1]:.0f}"
        for (x1, y1), (x2, y2) in zip(points, points[1:]):
            if x1 == x2:
                d += f" L{x2:.0f},{y2:.0f}"
            else:
                mid = (y1 + y2) / 2
                d += f" C{x1:.0f},{mid:.0f} {x2:.0f},{mid:.0f} {x2:.0f},{y2:.0f}"
        parts.append(f'<path d="{d}" fill="none" stroke="#555" marker-end="url(#arrow)"/>')
        if len(node.inputs) > 1:
            parts.append(f'<text x="{end_x + 3:.0f}" y="{pos[node][1] - 4:.0f}" font-size="12" font-weight="bold" '
                         f'fill="#1a237e" stroke="white" stroke-width="3" paint-order="stroke">{k}</text>')
    for it in items:
        x, y = pos[it]
        if isinstance(it, Variable):
            kind = "shared" if isinstance(it, SharedVariable) else "const" if isinstance(it, Constant) else "input"
            label = _leaf_label(it)
            shape = f'<rect x="{x:.0f}" y="{y:.0f}" width="{box_w}" height="{box_h}" rx="17" ry="17" '
        else:
            kind, label = "op", _op_label(it)
            shape = f'<rect x="{x:.0f}" y="{y:.0f}" width="{box_w}" height="{box_h}" rx="3" ry="3" '
        stroke = "#c62828" if it in out_items else "#666"
        width_px = 2 if it in out_items else 1
        parts.append(shape + f'fill="{_COLOURS[kind]}" stroke="{stroke}" stroke-width="{width_px}"/>')
        label = label if len(label) <= 18 else label[:17] + "…"
        parts.append(f'<text x="{x + box_w / 2:.0f}" y="{y + box_h / 2 + 4:.0f}" text-anchor="middle">'
                     f'{html.escape(label)}</text>')
    parts.append("</svg>")
    return GraphPicture("\n".join(parts))


class _Waypoint:
    """Where an edge crosses a row it does not stop at."""


def _op_label(node):
    op = node.op
    symbol = getattr(op, "symbol", None)
    if symbol:
        return symbol
    if hasattr(op, "is_transpose") and op.is_transpose(node.inputs[0].ndim):
        return ".T"
    return str(op)
