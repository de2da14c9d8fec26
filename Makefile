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
# make bench BENCH_ARGS=--quick: 20 batches per epoch, fewer kernel rounds (a few minutes).
BENCH_ARGS ?=
# PyTorch, the benchmarks' peer: a CPU build (TORCH_SPEC=... to choose another).
TORCH_SPEC ?= torch==2.13.0
# e.g. GRADER_ARGS="--workers 4", "--scheduler tcp://host:8786", "--regrade", "--unsandboxed"
GRADER_ARGS ?=

.PHONY: lab instructor test test-strict run data release grade bench gpu-check clean help

help:
	@echo "make lab      set up and open the course in JupyterLab"
	@echo "make instructor  JupyterLab on the repository with nbgrader's instructor tools"
	@echo "make test     set up and run every test (test-strict included)"
	@echo "make test-strict  the framework tests and notebook 03 on the strict backend (the GPU path, no GPU)"
	@echo "make run      execute the whole course headless (COURSE_MODE=fast for a quick run)"
	@echo "make data     download, check and cache MNIST"
	@echo "make release  regenerate course/ from solutions/ (instructors)"
	@echo "make grade SUBMISSIONS=dir   autograde submissions, feedback and grades (instructors)"
	@echo "make bench    benchmarks against peers: same-run ratios (BENCH_ARGS=--quick for a short run)"
	@echo "make gpu-check  on a machine with an NVIDIA GPU: install cupy, GPU tests, epochs vs PyTorch CUDA, notebook 03"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (minitheano)" >/dev/null
	touch $(STAMP)

# The learner's lab serves course/ (every notebook, 01 opened first) with only the learner's nbgrader
# tool, Validate; lab/learner/ holds its configuration. The instructor's serves the repository.
LAB_ARGS := --ServerApp.ip=127.0.0.1 $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	JUPYTER_CONFIG_DIR=$(CURDIR)/lab/learner $(VENV)/bin/jupyter lab $(LAB_ARGS) --ServerApp.root_dir=course

instructor: $(STAMP)
	JUPYTER_CONFIG_DIR=$(CURDIR)/lab/instructor $(VENV)/bin/jupyter lab $(LAB_ARGS) --ServerApp.root_dir=.

# Every test, then the GPU path's tests again on the strict backend (test-strict).
test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-strict

# The GPU path without a GPU: minitheano/strict.py stands in for cupy and refuses implicit host conversions.
STRICT_TESTS := tests/test_ops.py tests/test_grad.py tests/test_function.py tests/test_layers.py \
	tests/test_conv_pool.py tests/test_updates.py tests/test_objectives.py tests/test_random.py tests/test_rewrites.py \
	tests/test_fusion.py tests/test_kernels.py
test-strict: $(STAMP)
	MINITHEANO_DEVICE=strict $(PY) -m pytest -q -m "not slow and not mnist" $(STRICT_TESTS)
	COURSE_MODE=fast MINITHEANO_DEVICE=strict $(PY) grader/run_course.py 03_mlp_mnist

run: $(STAMP)
	COURSE_MODE=$(COURSE_MODE) $(PY) grader/run_course.py

data: $(STAMP)
	$(PY) -m minitheano.datasets

release: $(STAMP)
	$(PY) grader/release.py

grade: $(STAMP)
	COURSE_MODE=$(GRADE_MODE) $(PY) grader/grade.py $(GRADER_ARGS) $(SUBMISSIONS)

$(VENV)/.bench: $(STAMP)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet "$(TORCH_SPEC)"
	touch $@

bench: $(VENV)/.bench
	$(PY) bench/run.py $(BENCH_ARGS)

gpu-check: $(STAMP)
	$(PY) bench/gpu_check.py $(GPU_CHECK_ARGS)

clean:
	rm -rf $(VENV) grader/_work .pytest_cache
