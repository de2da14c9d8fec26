"""Grading on a Dask cluster whose workers die mid-run: every row is still there, and honest.

A two-worker LocalCluster grades a few submissions of the synthetic
assignment while this test kills, with SIGKILL, the worker running "lucky"
once (its task is retried and graded) and the workers running "victim"
twice (reported `not graded: worker lost`). The others keep their scores.
"""
import importlib.util
import os
import signal
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import grade as grade_module  # noqa: E402
from grader.release import release  # noqa: E402

spec = importlib.util.spec_from_file_location("synthetic", ROOT / "tests" / "grader_fixtures" / "synthetic.py")
synthetic = importlib.util.module_from_spec(spec)
spec.loader.exec_module(synthetic)
A = synthetic.ASSIGNMENT
GOOD = {"square": "def square(x):\n    return x * x", "cube": "def cube(x):\n    return x ** 3"}
# slow enough (a few seconds) for the killer to find the task running
SLOW = {**GOOD, "square": "import time\ntime.sleep(4)\n" + GOOD["square"]}
KILLS = {"lucky": 1, "victim": 2}


def _killer(client, kills, stop, done):
    """Kill the worker process running each student's task, kills[student] times (counted in `done`)."""
    last = {}
    while not stop.is_set():
        time.sleep(0.2)
        try:
            processing = client.processing()
            pids = client.run(os.getpid)
        except Exception:  # a worker is restarting: look again
            continue
        for addr, keys in processing.items():
            for key in keys:
                student = str(key).split("-")[2] if str(key).startswith("grade-") else None
                if student in kills and done[student] < kills[student] and last.get(student) != addr \
                        and addr in pids:
                    time.sleep(1.5)  # let it start executing
                    try:
                        if key in client.processing().get(addr, ()):
                            os.kill(pids[addr], signal.SIGKILL)
                            done[student] += 1
                            last[student] = addr
                    except Exception:
                        pass


@pytest.mark.slow
def test_dask_grading_survives_killed_workers(tmp_path, monkeypatch):
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv("COURSE_MODE", "fast")
    root = tmp_path / "course"
    synthetic.make_course(root)
    release(root, log=lambda *_: None)
    course_nb = nbformat.read(str(root / "course" / A / f"{A}.ipynb"), as_version=4)
    subs = tmp_path / "subs"
    answers = {"good1": GOOD, "good2": GOOD, "lucky": SLOW, "victim": SLOW,
               "wrong": {**GOOD, "square": synthetic.WRONG["square"]}}
    for student, answer in answers.items():
        (subs / student / A).mkdir(parents=True)
        nbformat.write(synthetic.with_answers(course_nb, answer), str(subs / student / A / f"{A}.ipynb"))
    sandboxed = grade_module.sandbox.bwrap() is not None and os.geteuid() == 0
    with dask.config.set(grade_module.DASK_CONFIG):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                           dashboard_address="127.0.0.1:0")
    client = distributed.Client(cluster)
    stop = threading.Event()
    result = {student: 0 for student in KILLS}
    thread = threading.Thread(target=_killer, args=(client, KILLS, stop, result))
    thread.start()
    try:
        rows = grade_module.grade(subs, root=root, client=client, sandboxed=sandboxed, log=print)
    finally:
        stop.set()
        thread.join()
        client.close()
        cluster.close()
    rows = {r.student: r for r in rows}
    assert set(rows) == set(answers)
    assert result == KILLS, result
    assert rows["victim"].status == grade_module.WORKER_LOST and rows["victim"].score is None
    expected = {"good1": 4.0, "good2": 4.0, "lucky": 4.0, "wrong": 2.0}
    assert {s: (rows[s].status, rows[s].score) for s in expected} == {s: ("graded", v) for s, v in expected.items()}
