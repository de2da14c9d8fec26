"""A batch of hostile and awkward submissions of the synthetic assignment, and what each must get.

Every attack is real code in an answer cell; its target paths are those of
the test's own course, work folder and submissions (an attacker who knows the
layout). Attacks that fail leave a correct answer behind, so a status or
score other than the expected one means the attack changed something.
"""
import json

import nbformat

GOOD = {"square": "def square(x):\n    return x * x", "cube": "def cube(x):\n    return x ** 3"}
WRONG_SQUARE = "def square(x):\n    return int(x) ** 2"
MARKER = "HOSTILE_DETACHED_MARKER"


def _then_good(attack):
    return attack + "\n" + GOOD["square"]


def _loop(db):
    """A process that keeps trying to give everyone 99 points."""
    return (f"import time, sqlite3  # {MARKER}\nwhile True:\n    try:\n"
            f"        sqlite3.connect({str(db)!r}).execute('update grade set auto_score=99')\n"
            "    except Exception:\n        pass\n    time.sleep(0.2)\n")


def attacks(root, work, subs, repo):
    """{student: (square answer source, expected status prefix, expected score)}."""
    sol = root / "solutions" / "01_synth" / "01_synth.ipynb"
    db = work / "gradebook.db"
    return {
        "good": (GOOD["square"], "graded", 4.0),
        "wrong": (WRONG_SQUARE, "graded", 2.0),
        # the instructor's solution, exec'd from solutions/: must not be reachable, so square is undefined
        "read_solutions": (f"import json\nnb = json.load(open({str(sol)!r}))\n"
                           "exec(''.join(next(c for c in nb['cells'] if 'def square' in ''.join(c['source']))"
                           "['source']))", "graded", 1.0),
        "read_gradebook": (_then_good(f"import sqlite3\ntry:\n    con = sqlite3.connect({str(db)!r})\n"
                                      "    print(con.execute('select source from source_cell').fetchall())\n"
                                      "except Exception as exc:\n    print('READ-FAILED', exc)"), "graded", 4.0),
        "write_gradebook": (_then_good(f"import sqlite3\ntry:\n    con = sqlite3.connect({str(db)!r})\n"
                                       "    con.execute(\"update source_cell set source='pass'\")\n"
                                       "    con.execute('update grade set auto_score=99')\n    con.commit()\n"
                                       "except Exception as exc:\n    print('WRITE-FAILED', exc)"), "graded", 4.0),
        "modify_minitheano": (_then_good(f"try:\n    open({str(repo / 'minitheano' / 'course.py')!r}, 'a')"
                                         ".write('\\nraise SystemExit\\n')\nexcept Exception as exc:\n"
                                         "    print('WRITE-FAILED', exc)"), "graded", 4.0),
        "modify_solutions": (_then_good(f"try:\n    open({str(sol)!r}, 'w').write('{{}}')\n"
                                        "except Exception as exc:\n    print('WRITE-FAILED', exc)"), "graded", 4.0),
        "detached": (_then_good("import subprocess, sys\n"
                                f"code = {_loop(db)!r}\n"
                                "proc = subprocess.Popen([sys.executable, '-c', code], start_new_session=True)\n"
                                "print('STARTED', proc.pid)"), "graded", 4.0),
        "burst": (_then_good("import os, time\nn = 0\ntry:\n    for _ in range(2000):\n"
                             "        if os.fork() == 0:\n            time.sleep(1)\n            os._exit(0)\n"
                             "        n += 1\nexcept OSError as exc:\n    print('FORK-STOPPED after', n, exc)"),
                  "graded", 4.0),
        "big_alloc": (_then_good("try:\n    block = bytearray(16 * 2 ** 30)\nexcept MemoryError:\n"
                                 "    print('ALLOC-FAILED')"), "graded", 4.0),
        "outbound": (_then_good("import socket\nfor host in ('1.1.1.1', '127.0.0.1'):\n    try:\n"
                                "        socket.create_connection((host, 80), timeout=3)\n        print('CONNECTED')\n"
                                "    except OSError as exc:\n        print('CONNECT-FAILED', host, exc)"),
                     "graded", 4.0),
        "delete_others": (_then_good("import shutil\n"
                                     f"for p in ({str(subs / 'good')!r}, {str(work / 'feedback')!r}, "
                                     f"{str(work / 'submitted')!r}, {str(work / 'autograded')!r}):\n"
                                     "    shutil.rmtree(p, ignore_errors=True)"), "graded", 4.0),
        # turns every later cell into `pass`: the guard removes it before each test cell
        "transformer": ("ip = get_ipython()\nip.input_transformers_cleanup.append(lambda lines: ['pass\\n'])\n"
                        "def square(x):\n    return 0", "graded", 1.0),
        "vars_patch": ("import numpy as np\nvars(np)['allclose'] = lambda *a, **k: True\n"
                       "def square(x):\n    return 0", "graded", 1.0),
        "stderr": ("import sys\ndef square(x):\n    print('square: careful', file=sys.stderr)\n    return x * x",
                   "graded", 4.0),
        "marker": ("# ### BEGIN HIDDEN TESTS (this text is only a comment)\n" + GOOD["square"], "graded", 4.0),
        # special layouts, made by write_batch
        "package": (GOOD["square"], "not graded: code handed in beside the notebook (matplotlib/)", None),
        "pasted": (GOOD["square"], "not graded: no test cells (metadata lost or wrong notebook)", None),
        "duplicate": (GOOD["square"], "not graded: duplicated cell ids (test_cube)", None),
    }


def write_batch(subs, course_nb, table, with_answers):
    """Write one nested submission per student of `table` (from attacks())."""
    for student, (square, _, _) in table.items():
        nb = with_answers(course_nb, {**GOOD, "square": square})
        folder = subs / student / "01_synth"
        folder.mkdir(parents=True)
        if student == "package":
            (folder / "matplotlib").mkdir()
            (folder / "matplotlib" / "__init__.py").write_text("import builtins\nbuiltins.AssertionError = None\n")
        if student == "pasted":
            for cell in nb.cells:
                cell.metadata = {}
        if student == "duplicate":
            copy = nbformat.from_dict(json.loads(json.dumps(nb.cells[6])))
            copy["id"] = "copied-test-cell"
            nb.cells.append(copy)
        nbformat.write(nb, str(folder / "01_synth.ipynb"))
