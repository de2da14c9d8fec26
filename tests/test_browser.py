"""The learner's lab in a real browser: `make lab`'s server and configuration, driven in headless
Chromium (Debian's package) with playwright, as a learner would use it.

It serves a copy of course/ in which one extra notebook, 01's "_filled" twin, has the solution of
its first blank, and 03 is the solution notebook (so training runs to the end). Any browser
console error fails the test that caused it. Screenshots go to BROWSER_SHOTS (default: a temp dir).
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
FIRST = "01_expression_graphs"
TRAINED = "03_mlp_mnist"
NOTEBOOKS = ["01_expression_graphs", "02_autodiff", "03_mlp_mnist", "04_overfitting", "05_convnets",
             "06_dropout_batchnorm"]
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook in the current tab
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
NOT_FILLED_IN = "not filled in yet"  # course.require's message
# The flags CI's headless Chromium needs: no GPU, no sandbox (containers), nothing fetched from the network.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.slow, pytest.mark.browser]
playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


def _nbformat():
    import nbformat

    return nbformat


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cells(path):
    return _nbformat().read(str(path), as_version=4).cells


def _first_blank(nb_cells):
    """(index of the first solution cell, index of the first test cell after it)."""
    meta = [c.metadata.get("nbgrader", {}) for c in nb_cells]
    blank = next(i for i, m in enumerate(meta) if m.get("solution") and not m.get("grade"))
    check = next(i for i, m in enumerate(meta) if i > blank and m.get("grade") and not m.get("solution"))
    return blank, check


def _course_copy(dest):
    """A copy of course/ for the test: 01 untouched plus its twin with the first blank filled, 03 solved."""
    nbformat = _nbformat()
    shutil.copytree(ROOT / "course", dest)
    first = dest / FIRST / f"{FIRST}.ipynb"
    nb = nbformat.read(str(first), as_version=4)
    solved = nbformat.read(str(ROOT / "solutions" / FIRST / f"{FIRST}.ipynb"), as_version=4)
    blank, _ = _first_blank(nb.cells)
    grade_id = nb.cells[blank].metadata.nbgrader.grade_id
    [answer] = [c for c in solved.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    nb.cells[blank].source = answer.source
    nbformat.write(nb, str(first.with_name(f"{FIRST}_filled.ipynb")))
    trained = nbformat.read(str(ROOT / "solutions" / TRAINED / f"{TRAINED}.ipynb"), as_version=4)
    nb03 = nbformat.read(str(dest / TRAINED / f"{TRAINED}.ipynb"), as_version=4)
    trained.metadata = nb03.metadata  # the released metadata, as JupyterLab would find it
    for cell in trained.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(trained, str(dest / TRAINED / f"{TRAINED}.ipynb"))


def _make_lab_command():
    """The `make lab` recipe's command line, read from the Makefile so the test serves what learners get."""
    out = subprocess.run(["make", "-s", "-n", "lab", f"VENV={Path(sys.executable).parent.parent}"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    [line] = [ln for ln in out.splitlines() if " lab " in ln and "jupyter" in ln]
    return line


@pytest.fixture(scope="module")
def lab():
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    if not (ROOT / "course" / FIRST / f"{FIRST}.ipynb").exists():
        pytest.skip("course/ has not been released (make release)")
    line = _make_lab_command()
    tmp = Path(tempfile.mkdtemp(prefix="browser-course-"))
    course = tmp / "course"
    _course_copy(course)
    port, token = _free_port(), "browser-test-token"
    # make lab's own command with this copy as the root, a token and a free port, no browser
    cmd = line.replace("--ServerApp.root_dir=course", f"--ServerApp.root_dir={course}")
    assert cmd != line, f"make lab no longer serves course/: {line}"
    cmd += (f" --no-browser --port={port} --IdentityProvider.token={token} --ServerApp.allow_root=True"
            f" --LabApp.workspaces_dir={tmp / 'workspaces'} --LabApp.user_settings_dir={tmp / 'settings'}")
    env = dict(os.environ, COURSE_MODE="fast", PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"))
    log = open(tmp / "server.log", "w")
    proc = subprocess.Popen(cmd, shell=True, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"the lab exited: {(tmp / 'server.log').read_text()[-2000:]}")
                time.sleep(0.5)
        else:
            pytest.fail("the lab did not start within 120 s")
        yield dict(base=base, token=token, course=course, tmp=tmp)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(lab):
    try:
        with playwright_api.sync_playwright() as p:
            b = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            yield b
            b.close()
    except playwright_api.Error as exc:
        pytest.skip(f"playwright could not start {CHROMIUM}: {str(exc).splitlines()[0]}")


SHOTS = Path(os.environ.get("BROWSER_SHOTS", tempfile.gettempdir())) / "course-browser"


@pytest.fixture
def page(browser, lab, request):
    """A fresh tab; the test fails on any console error or uncaught exception in it."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    errors = []
    tab.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    tab.set_default_timeout(30_000)
    tab.shot = lambda name: (SHOTS.mkdir(parents=True, exist_ok=True),
                             tab.screenshot(path=str(SHOTS / f"{request.node.name}-{name}.png")))
    yield tab
    context.close()
    assert not errors, "the browser reported errors:\n" + "\n".join(errors)


def _open(page, lab, path=None, workspace="default"):
    """Load the lab (at `path` in its own workspace, or where `make lab` opens it) and wait for the kernel."""
    url = f"{lab['base']}/lab/workspaces/{workspace}/tree/{path}" if path else f"{lab['base']}/"
    page.goto(f"{url}?token={lab['token']}")
    page.wait_for_selector(f"{PANEL} .jp-Cell >> nth=0", timeout=90_000)
    _wait_idle(page)


def _wait_idle(page, timeout=150_000):
    """Wait until the kernel is idle and no cell is queued or running."""
    page.wait_for_function(
        """() => {
            const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
            if (!panel) return false;
            const status = panel.querySelector('.jp-Notebook-ExecutionIndicator');
            const busy = [...panel.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('*'));
            const bar = [...document.querySelectorAll('.jp-StatusBar-TextItem')]
                .some(e => e.textContent.endsWith('| Idle'));
            return status && status.dataset.status === 'idle' && bar && !busy;
        }""", timeout=timeout, polling=250)


def _menu(page, menu, command):
    page.click(f".lm-MenuBar-itemLabel:text-is('{menu}')")
    page.click(f".lm-Menu-item[data-command='{command}']")


def _cell(page, index):
    return page.locator(f"{PANEL} .jp-Notebook .jp-Cell").nth(index)


def _run_all(page):
    _menu(page, "Run", "runmenu:run-all")
    page.wait_for_timeout(500)
    _wait_idle(page)


def _show(page, text):
    """Scroll the first output with `text` to the middle of the window, for a screenshot."""
    for _ in range(4):  # the cells above it render as they come into view, and move it
        page.evaluate("""text => [...document.querySelectorAll('.jp-OutputArea-output')]
            .find(e => e.textContent.includes(text))?.scrollIntoView({block: 'center'})""", text)
        page.wait_for_timeout(400)


def _dirty(page):
    return page.locator(".jp-mod-current.jp-mod-dirty, .lm-TabBar-tab.jp-mod-current.jp-mod-dirty").count() > 0


def test_the_lab_lists_the_six_notebooks_opens_01_unmodified_and_shows_no_instructor_tools(page, lab):
    _open(page, lab)
    assert page.locator(".lm-TabBar-tab.jp-mod-current .lm-TabBar-tabLabel").inner_text() == f"{FIRST}.ipynb"
    page.wait_for_timeout(1000)  # the kernel has told JupyterLab its language_info by now
    page.shot("opened")
    assert not _dirty(page), "opening the notebook marked it modified (its metadata differ from the kernel's)"
    page.click(".jp-BreadCrumbs-home")
    page.wait_for_function("() => document.querySelector('.jp-DirListing-content').textContent.includes('06_')",
                           polling=250)
    listed = page.locator(".jp-DirListing-itemName").all_text_contents()
    assert listed == NOTEBOOKS
    for name in NOTEBOOKS:
        assert (lab["course"] / name / f"{name}.ipynb").is_file()
    # learners see Validate, and none of nbgrader's instructor tools
    assert page.locator(f"{PANEL} .validate-button").count() == 1
    assert page.locator("#jp-mainmenu-nbgrader").count() == 0
    labels = " ".join(page.locator(".lm-MenuBar-itemLabel").all_inner_texts())
    assert "Nbgrader" not in labels
    body = page.locator("body").inner_text()
    for tool in ("Formgrader", "Create Assignment", "Course List", "Assignment List"):
        assert tool.lower() not in body.lower(), f"the learner's lab shows {tool}"
    for url in ("formgrader", "courses", "assignments"):
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(f"{lab['base']}/{url}?token={lab['token']}", timeout=30)


def test_an_empty_blank_is_reported_in_one_line(page, lab):
    _open(page, lab)
    blank, check = _first_blank(_cells(lab["course"] / FIRST / f"{FIRST}.ipynb"))
    _run_all(page)
    _cell(page, blank).scroll_into_view_if_needed()
    page.shot("run-all-stops-at-the-blank")
    assert "NotImplementedError" in _cell(page, blank).locator(".jp-OutputArea").text_content()
    # Run All stops at the blank; the learner then runs the check below it
    _cell(page, check).locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    page.wait_for_timeout(500)
    _wait_idle(page)
    _cell(page, check).scroll_into_view_if_needed()
    page.shot("check-of-empty-blank")
    output = _cell(page, check).locator(".jp-OutputArea").inner_text().strip()
    assert NOT_FILLED_IN in output
    assert len(output.splitlines()) == 1, f"the check of an empty blank said more than one line:\n{output}"


def test_a_filled_blank_passes_its_check_and_validate_names_what_is_left(page, lab):
    path = f"{FIRST}/{FIRST}_filled.ipynb"
    _open(page, lab, path, workspace="filled")
    cells = _cells(lab["course"] / path)
    blank, check = _first_blank(cells)
    _run_all(page)
    assert _cell(page, check).locator(".jp-OutputArea-output").count() == 0 or \
        "Error" not in _cell(page, check).locator(".jp-OutputArea").inner_text()
    assert _cell(page, check).locator(".jp-InputPrompt").inner_text().strip() not in ("[ ]:", "[*]:")
    page.click(f"{PANEL} .validate-button")  # which saves the notebook first
    dialog = page.locator(".jp-Dialog-content")
    dialog.wait_for(timeout=240_000)
    page.wait_for_function("() => !document.querySelector('.jp-Dialog-content')?.textContent.includes('Validating')",
                           timeout=240_000, polling=250)
    page.shot("validate-dialog")
    text = dialog.inner_text()
    assert "Validation Results" in text
    tests = [c for c in cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
    failed = text.count("The following cell failed")
    assert failed == len(tests) - 1, f"{failed} cells failed of {len(tests)}, the first one filled:\n{text}"
    for report in text.split("The following cell failed:")[1:]:  # the one-line message, then the check's start
        assert report.strip().startswith("The exercise above is " + NOT_FILLED_IN), report
    assert "Traceback" not in text and "NameError" not in text
    assert cells[check].source.strip().splitlines()[-1] not in text  # the filled one passed


# How a finished progress bar reads: course.train's summary, or course.progress's last line.
FINISHED = re.compile(r"Trained .+ in [\d.]+ s\.|.+: \d+(/\d+)? in [\d.]+ s.*")


def test_a_trained_notebook_saved_and_reopened_shows_how_training_ended(page, lab):
    path = f"{TRAINED}/{TRAINED}.ipynb"
    _open(page, lab, path, workspace="trained")
    _run_all(page)
    _show(page, " in ")
    page.shot("trained")
    outputs = page.locator(f"{PANEL} .jp-OutputArea").all_inner_texts()
    assert not any("Error" in o or "Traceback" in o for o in outputs), [o for o in outputs if "Error" in o][:2]
    _menu(page, "File", "docmanager:save")
    page.wait_for_function("() => !document.querySelector('.lm-TabBar-tab.jp-mod-current.jp-mod-dirty')", polling=250)
    saved = json.loads((lab["course"] / path).read_text())
    kinds = [key for c in saved["cells"] for o in c.get("outputs", []) for key in o.get("data", {})]
    assert WIDGET_VIEW not in kinds, "a progress bar was saved as a widget, which reopens as 'model not found'"
    endings = ["".join(o["data"]["text/plain"]) for c in saved["cells"] for o in c.get("outputs", [])
               if o.get("output_type") == "display_data" and "text/plain" in o.get("data", {})]
    assert any(FINISHED.fullmatch(e) for e in endings), endings
    _menu(page, "File", "filemenu:close-and-cleanup")
    page.click(".jp-Dialog-button.jp-mod-accept")
    page.wait_for_function("() => !document.querySelector('.jp-NotebookPanel')", polling=250)
    # reopened later: a new kernel, no widget state
    _open(page, lab, path, workspace="reopened")
    page.wait_for_timeout(2000)
    body = page.locator(".jp-NotebookPanel").text_content()
    assert "Error displaying widget" not in body and "model not found" not in body
    ended = page.locator(f"{PANEL} .jp-OutputArea-output").filter(has_text=FINISHED)
    assert ended.count() >= 1
    _show(page, " in ")
    page.shot("reopened")
