"""nbgrader preprocessors that cover two of its gaps: output size in bytes, and hidden tests in feedback.

nbgrader's LimitOutput counts lines, so a single 50 MB line goes into the
autograded notebook, the gradebook and the feedback untouched. And
ClearHiddenTests removes hidden-test source from feedback, but a failing hidden
assert still shows its own line in the traceback.
"""
import json

from ipykernel.ipkernel import IPythonKernel
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Integer, Unicode

HIDDEN_BEGIN = "BEGIN HIDDEN TESTS"


def output_bytes(output):
    """Size of one cell output as stored in the notebook file (UTF-8 JSON)."""
    return len(json.dumps(output, ensure_ascii=False).encode("utf-8"))


def _cut(text, budget):
    """The longest prefix of `text` whose UTF-8 encoding fits in `budget` bytes."""
    return text.encode("utf-8")[:max(budget, 0)].decode("utf-8", errors="ignore")


class LimitOutputBytes(Preprocessor):
    """Truncate a code cell's outputs to `max_bytes` in total, and say so in the output.

    Error outputs and stderr streams are shortened but never dropped: nbgrader
    reads them to give the cell zero, and dropping them would turn a failing
    test into a passing one.
    """

    enabled = Bool(True).tag(config=True)
    max_bytes = Integer(1_000_000, help="most bytes of output kept per cell (-1: no limit)").tag(config=True)
    notice = Unicode("\n... [output truncated by the grader: this cell printed {size} bytes, "
                     "the limit is {limit} bytes] ...\n").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or self.max_bytes < 0:
            return cell, resources
        sizes = [output_bytes(out) for out in cell.outputs]
        total = sum(sizes)
        if total <= self.max_bytes:
            return cell, resources
        note = self.notice.format(size=total, limit=self.max_bytes)
        budget, kept, noted = self.max_bytes, [], False
        for out, size in zip(cell.outputs, sizes):
            if size <= budget:
                kept.append(out)
                budget -= size
                continue
            keep_anyway = out.output_type == "error" or (out.output_type == "stream" and out.name == "stderr")
            if budget <= 0 and not keep_anyway:
                continue
            kept.append(self._shorten(out, max(budget, 0), "" if noted else note))
            noted = True
            budget = 0
        if not noted:
            kept.append(_stream("stdout", note))
        cell.outputs = kept
        return cell, resources

    @staticmethod
    def _shorten(out, budget, note):
        if out.output_type == "stream":
            out.text = _cut(out.text, budget) + note
        elif out.output_type == "error":
            out.evalue = _cut(out.evalue, min(budget, 2000))
            lines, used = [], 0
            for line in out.traceback:
                used += len(line.encode("utf-8"))
                if used > budget:
                    break
                lines.append(line)
            out.traceback = lines + [note.strip()]
        else:  # execute_result / display_data: keep only a shortened plain-text form
            text = out.get("data", {}).get("text/plain", "")
            out.data = {"text/plain": _cut(text, budget) + note}
            out.metadata = {}
        return out


def _stream(name, text):
    from nbformat.v4 import new_output
    return new_output("stream", name=name, text=text)


class HideHiddenTestTracebacks(Preprocessor):
    """In cells with hidden tests, replace error tracebacks by their last line.

    Run before ClearHiddenTests (which removes the markers this looks for).
    """

    enabled = Bool(True).tag(config=True)
    message = Unicode("{ename}: {evalue}\n(traceback withheld: it would show hidden test code)").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and HIDDEN_BEGIN in cell.source:
            for out in cell.outputs:
                if out.output_type == "error":
                    out.traceback = [self.message.format(ename=out.ename, evalue=out.evalue)]
        return cell, resources


class MarkersInAnswers(Preprocessor):
    """Rewrite hidden-test markers typed into cells that are not test cells, so feedback can be made.

    ClearHiddenTests fails on a BEGIN without its END, which an answer cell may hold as plain text.
    """

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        if not (meta.get("grade") and not meta.get("solution")) and "HIDDEN TESTS" in cell.source:
            cell.source = cell.source.replace("HIDDEN TESTS", "HIDDEN-TESTS (marker text in an answer)")
        return cell, resources


class LearnerMetadata(Preprocessor):
    """Give a released notebook the kernelspec and language_info its kernel reports in JupyterLab,
    so that opening it in `make lab` does not mark it modified."""

    enabled = Bool(True).tag(config=True)
    kernelspec = {"display_name": "Python 3 (minitheano)", "language": "python", "name": "python3"}  # Makefile

    def preprocess(self, nb, resources):
        nb.metadata.kernelspec = dict(self.kernelspec)
        nb.metadata.language_info = dict(IPythonKernel.language_info)
        return nb, resources
