# The book's pipeline (gdsbook style): environment -> sync -> execute -> build (execution off).
#   make book   R23's weights into the cache, execute every chapter with the `default` preset and build the HTML book
#   make test   R23's weights into the cache, ruff, actionlint + zizmor (the workflows), pytest, execute every chapter with the `ci` preset, build, browser check
#   make clean  remove the executed notebooks and HTML (make clean-cache: the trained models and simulations)
#   make lab    the chapters in JupyterLab, run with this environment's kernel and live widgets
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: env sync weights lint unit run-ci build-ci browser-ci test run-default book lab clean clean-cache

env: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Paired notebooks follow their .py sources (the .py files are what you edit).
sync: env
	$(VENV)/bin/jupytext --sync $$(find book -name '*.py' -not -path '*/.ipynb_checkpoints/*')

# R23's published weights into the cache before any chapter runs (three chapters load them): offline and
# without a local copy, the book stops here at once with the error, not minutes later inside a chapter.
weights: env
	$(PY) -m lib weights --quiet

lint: env
	$(VENV)/bin/ruff check lib tests book
	$(VENV)/bin/ruff format --check lib tests
	$(VENV)/bin/actionlint
	$(VENV)/bin/zizmor --offline --no-progress .github

unit: env
	$(PY) -m pytest -m "not browser"

run-ci: weights
	$(PY) -m lib book run --preset ci

build-ci: env
	$(PY) -m lib book build --preset ci

browser-ci: env
	BOOK_HTML=_build/ci/_build/html $(PY) -m pytest -m browser

test: weights lint unit run-ci build-ci browser-ci

run-default: weights
	$(PY) -m lib book run --preset default

book: run-default
	$(PY) -m lib book build --preset default

# JupyterLab on book/: a chapter (e.g. ir/explainability.ipynb) runs in this environment's python, registered
# as the kernel `spectra-nn-book`, with the defaults of its `parameters` cell (edit that cell to change them).
lab: env
	$(PY) -m ipykernel install --sys-prefix --name spectra-nn-book --display-name "Python (spectra-nn-book)" >/dev/null
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=book --MappingKernelManager.default_kernel_name=spectra-nn-book \
		$(if $(filter 0,$(shell id -u)),--allow-root)

# Executed notebooks and HTML of each preset; the caches (trained models, simulations) stay.
clean:
	rm -rf _build/ci _build/default _build/paper

# Trained models and simulation caches: slow to make again.
clean-cache:
	rm -rf _build/cache
