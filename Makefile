# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# torch is installed first, pinned, so pip takes the CPU build and never a multi-GB CUDA one.
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: install install-dev demo test test-integration test-oldest lint bench bench-accuracy docs clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet "$(TORCH_SPEC)"
	$(PIP) install --quiet -e ".[dev,plot,distributed,onnx]" "$(TORCH_SPEC)"
	touch $(STAMP)

install install-dev: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/sklearn-mtl compare --dataset penguins --cv 5 --out reports

# The default suite (under 10 minutes on 2 cores). The integration tests -- whole programs
# in processes of their own: the examples, torchrun launches -- are marked `integration` and
# left out of it (pyproject.toml's addopts); `make test-integration` runs them, CI runs both.
test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist worksteal --durations=15

test-integration: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist worksteal -m integration

# The documentation site, built warning-free into site/ (git-ignored).
DOCS_STAMP := $(VENV)/.installed-docs
$(DOCS_STAMP): pyproject.toml | $(STAMP)
	$(PIP) install --quiet -e ".[docs]" "$(TORCH_SPEC)"
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	$(VENV)/bin/mkdocs build --strict --site-dir site

# The suite with every dependency at the oldest version pyproject.toml claims
# (.ci/oldest.txt), in a venv of its own; not part of `make test`.
OLDEST_VENV ?= .venv-oldest
OLDEST_PY := $(OLDEST_VENV)/bin/python
test-oldest:
	$(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_PY) -m pip install --quiet --upgrade pip
	$(OLDEST_PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(OLDEST_PY) -m pip install --quiet -e ".[dev,plot,distributed,onnx]" -c .ci/oldest.txt
	$(OLDEST_PY) -m pytest -q -n 2 --dist worksteal

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

# The "Good by default" table of docs/benchmarks.md: the network's defaults against the
# classical baselines on the development suite (about an hour on 2 cores).
BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): pyproject.toml | $(STAMP)
	$(PIP) install --quiet -e ".[bench]" "$(TORCH_SPEC)"
	touch $(BENCH_STAMP)

bench-accuracy: $(BENCH_STAMP)
	$(PY) benchmarks/bench_accuracy.py --threads 2 --out reports/bench_accuracy.md

clean:
	rm -rf $(VENV) $(OLDEST_VENV) build dist *.egg-info reports .pytest_cache
