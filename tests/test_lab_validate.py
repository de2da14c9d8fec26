"""nbgrader's Validate button, as JupyterLab calls it: a real Jupyter server started from the
repository root, asked to validate a learner notebook and its solution."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "01_expression_graphs/01_expression_graphs.ipynb"

pytestmark = pytest.mark.slow


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    if not (ROOT / "course" / NOTEBOOK).exists():
        pytest.skip("course/ has not been released (make release)")
    port, token = _free_port(), "course-test-token"
    env = dict(os.environ, COURSE_MODE="fast", PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "server", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}", "--allow-root"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the Jupyter server did not start within 60 s")
        yield base, token
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _validate(server, path):
    base, token = server
    request = urllib.request.Request(
        f"{base}/assignments/validate", data=urllib.parse.urlencode({"path": path}).encode(),
        headers={"Authorization": f"token {token}"}, method="POST")
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.loads(response.read())


def test_validate_reports_the_blanks_of_an_untouched_learner_notebook(server):
    result = _validate(server, f"course/{NOTEBOOK}")
    assert result["success"] is True, result["value"]
    failed = result["value"].get("failed", [])
    assert failed, f"validation of an untouched notebook found nothing to fix: {result['value']}"
    # every check cell of the notebook fails: its blank is still `raise NotImplementedError()`
    import nbformat
    nb = nbformat.read(ROOT / "course" / NOTEBOOK, as_version=4)
    checks = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(failed) == len(checks)
    # each check says its blank is not filled in (course.require), or the blank's own error shows
    blank_errors = ("NotFilledIn", "NotImplementedError", "NameError")
    assert all(any(e in cell["raw_error"] for e in blank_errors) for cell in failed)


def test_validate_passes_the_solution_notebook(server):
    result = _validate(server, f"solutions/{NOTEBOOK}")
    assert result["success"] is True, result["value"]
    value = result["value"]
    assert not value.get("failed"), value
