# mpkit: `make lab` opens the course, `make test` runs everything CI runs.
SHELL := /bin/bash
PYTHON ?= python3
TORCH_SPEC ?= torch==2.13.0
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
LAB_PORT ?= 8888
LAB_ARGS ?=
# everything the tests run is in quick mode and writes results outside the checkout
TEST_ENV := MPKIT_BUDGET=quick MPLBACKEND=Agg PYTHONHASHSEED=0

.PHONY: lab wheel test venv export-check clean-check pytest nbtest nbtime wheel-check results bench clean-nbs browser docs docs-test browser-test

# The stamp depends on pyproject.toml: nothing slow happens when everything is installed already.
$(VENV)/.stamp: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c "import torch" 2>/dev/null || $(PIP) install -q "$(TORCH_SPEC)"
	$(PIP) install -q -e ".[dev]"
	@touch $@

venv: $(VENV)/.stamp

# Opens the course home (index.ipynb); works as root too (containers, cloud notebooks run as root). Saving a notebook
# writes it clean (.ci/lab_hooks.py), so a session leaves `git status` clean.
LAB_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
lab: venv
	@echo "Starting JupyterLab on http://127.0.0.1:$(LAB_PORT)/lab/tree/index.ipynb (the URL with its token follows)"
	PYTHONPATH=$(CURDIR)/.ci $(VENV)/bin/jupyter lab --no-browser --ip 127.0.0.1 --port $(LAB_PORT) --ServerApp.root_dir=nbs \
	  --LabApp.default_url=/lab/tree/index.ipynb --ContentsManager.pre_save_hook=lab_hooks.clean_on_save \
	  $(LAB_ROOT) $(LAB_ARGS)

# The stages of `make test`, in order; each one's time, and the ten slowest notebooks, are printed at the end.
STAGES := export-check clean-check pytest nbtest wheel-check docs browser-test
TIMES := .cache/test-times
test: venv browser
	@start=$$(date +%s); rm -rf $(TIMES); mkdir -p $(TIMES); \
	for s in $(STAGES); do t0=$$(date +%s); \
	  $(MAKE) --no-print-directory $$s || { $(PY) .ci/report.py $(TIMES) "$$s"; exit 1; }; \
	  printf '%s\t%s\n' $$s $$(( $$(date +%s) - t0 )) >> $(TIMES)/stages.tsv; done; \
	$(PY) .ci/report.py $(TIMES); \
	echo "== make test: all green in $$(( $$(date +%s) - start )) s =="

# 1. mpkit/ is exactly what the notebooks export
export-check: venv
	@echo "== export-sync check =="
	$(VENV)/bin/nbdev-export
	@git diff --exit-code --stat -- mpkit && test -z "$$(git status --porcelain --untracked-files=all -- mpkit)" \
	  || (echo "mpkit/ is out of sync with nbs/: run nbdev-export and commit mpkit/"; git status --short -- mpkit; exit 1)

# 2. notebooks are committed clean: no outputs, execution counts, metadata noise or widget state
clean-check: venv
	@echo "== clean-notebook check =="
	$(VENV)/bin/nbdev-clean
	$(PY) .ci/strip_nbs.py nbs
	@git diff --exit-code --stat -- nbs || (echo "notebooks are not clean: run 'make clean-nbs' and commit"; exit 1)

clean-nbs: venv
	$(VENV)/bin/nbdev-clean
	$(PY) .ci/strip_nbs.py nbs

# 3. the library's tests (network disabled for the code under test, HOME in a temp folder)
pytest: venv
	@echo "== pytest =="
	$(TEST_ENV) $(VENV)/bin/pytest -q tests

# 4. every notebook, in quick mode, one at a time (two training jobs on 2 cores starve each other), in a Jupyter
#    kernel as the website runs it; the executed copies go to .cache/executed/, and the website build renders
#    them instead of running the notebooks a second time
nbtest: venv
	@echo "== notebooks (quick mode, each executed once) =="
	@mkdir -p $(TIMES); $(TEST_ENV) $(PY) .ci/nbrun.py --times $(TIMES)/notebooks.tsv

# each course notebook's quick mode, alone, three times (seeds 0, 1, 2, so the quick asserts are checked per seed):
# the medians go to results/nbtime.md (reported, not asserted); `make nbtime NBS="text/07_dse.ipynb ..."` re-times
# those notebooks and keeps the other rows, each with the date it was measured
nbtime: venv
	$(TEST_ENV) $(PY) .ci/nbrun.py --course --repeat 3 --seeds 0 1 2 --table results/nbtime.md $(if $(NBS),--update) $(NBS)

# the wheel (data samples and recorded results inside) in dist/, for `pip install dist/mpkit-*.whl` anywhere
wheel: venv
	$(PY) -m build --wheel --outdir dist .

# 5. the wheel installs with the pinned torch in a fresh venv outside the repo, imports, and loads every sample
wheel-check: venv
	@echo "== wheel check =="
	@tmp=$$(mktemp -d); trap "rm -rf $$tmp" EXIT; \
	$(PY) -m build --wheel --outdir $$tmp/dist . >$$tmp/build.log 2>&1 || (tail -30 $$tmp/build.log; exit 1); \
	$(PYTHON) -m venv $$tmp/venv && \
	$$tmp/venv/bin/pip install -q "$(TORCH_SPEC)" && \
	$$tmp/venv/bin/pip install -q $$tmp/dist/*.whl && \
	cd $$tmp && MPKIT_BUDGET=quick $$tmp/venv/bin/python $(CURDIR)/.ci/wheel_smoke.py

# Real-browser tests need Debian chromium; install it when we can (root + apt), else they skip with a reason.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  && echo "installed chromium"; } || echo "chromium not available: browser tests will skip"

# Run every course notebook (full budget unless BUDGET=quick; FAMILY=vision, or NBS="text/*.ipynb", for one family)
# and write results/results.json + the README table (and, full budget, each notebook's time to results/fulltime.md);
# `python -m mpkit results --check` then lists what is stale
BUDGET ?= full
FAMILY ?=
ifneq ($(FAMILY),)
NBS := $(FAMILY)/*.ipynb
endif
results: venv
	MPKIT_BUDGET=$(BUDGET) MPLBACKEND=Agg PYTHONHASHSEED=0 $(PY) .ci/nbrun.py --course --results results \
	  --timeout 3600 $(if $(filter full,$(BUDGET)),--table results/fulltime.md --update) $(NBS)
	$(PY) -m mpkit results --readme README.md

# The course website: every notebook under nbs/ (or NBS="nbs/09_papers.ipynb 'text/*.ipynb'") rendered into _docs/
# by Sphinx + MyST-NB, offline; notebooks run in quick mode one at a time, cached in .cache/docs/.
NBS ?=
DOCS_TIMEOUT ?= 900
$(VENV)/.stamp-docs: $(VENV)/.stamp
	$(PIP) install -q -e ".[dev,docs]"
	@touch $@

docs: $(VENV)/.stamp-docs
	@echo "== course website =="
	MPKIT_BUDGET=quick $(PY) .ci/docs/build.py --timeout $(DOCS_TIMEOUT) $(NBS)
	@echo "open _docs/index.html, or serve it: $(PY) -m http.server -d _docs 8000"

# builds the site, serves it on localhost and checks it in headless chromium (screenshots in artifacts/docs/)
docs-test: docs browser-test

browser-test: venv browser
	@echo "== course website in a real browser =="
	$(TEST_ENV) MPKIT_DOCS_TEST=1 MPKIT_DOCS_SITE=_docs $(VENV)/bin/pytest -q tests/test_docs_site.py

bench: venv
	$(PIP) install -q -e ".[dev,bench]"
	$(PY) benchmarks/bench_core.py
	$(PY) benchmarks/bench_train.py
