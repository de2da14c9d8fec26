# The course's commands. Each target sets up the virtual environment it needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# COURSE_MODE=fast runs the notebooks on a data subset with few epochs (CI); full is the default.
COURSE_MODE ?= full
# Grading runs the notebooks in fast mode: every check is the same in both modes.
GRADE_MODE ?= fast
SUBMISSIONS ?=
# e.g. GRADER_ARGS="--workers 4", "--scheduler tcp://host:8786", "--regrade", "--unsandboxed"
GRADER_ARGS ?=

.PHONY: lab test run data release grade bench clean help

help:
	@echo "make lab      set up and open the course in JupyterLab"
	@echo "make test     set up and run every test"
	@echo "make run      execute the whole course headless (COURSE_MODE=fast for a quick run)"
	@echo "make data     download, check and cache MNIST"
	@echo "make release  regenerate course/ from solutions/ (instructors)"
	@echo "make grade SUBMISSIONS=dir   autograde submissions, feedback and grades (instructors)"
	@echo "make bench    run the benchmarks against peers"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (minitheano)" >/dev/null
	touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) course/01_expression_graphs/01_expression_graphs.ipynb

test: $(STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS)

run: $(STAMP)
	COURSE_MODE=$(COURSE_MODE) $(PY) grader/run_course.py

data: $(STAMP)
	$(PY) -m minitheano.datasets

release: $(STAMP)
	$(PY) grader/release.py

grade: $(STAMP)
	COURSE_MODE=$(GRADE_MODE) $(PY) grader/grade.py $(GRADER_ARGS) $(SUBMISSIONS)

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) grader/_work .pytest_cache
