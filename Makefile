# Two commands for learners and CI alike: `make lab` and `make test`.
# Each sets itself up on a fresh machine: a .venv, the project (editable, with its
# dev extra) and a Jupyter kernel named "nnlib".
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Containers and workshop VMs often run as root, where jupyter refuses to start without this.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test setup clean book student test-book test-student test-browser

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name nnlib --display-name "Python (nnlib)"
	touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 $(ROOT_FLAG) \
		--ServerApp.root_dir=. \
		--LabApp.default_url=/lab/tree/notebooks/00_tour_and_setup.ipynb

test: $(STAMP)
	$(PY) -m pytest

# The course as a static site, build/book/index.html: every notebook executed (in parallel, each
# kept until it or nnlib changes), read with no network. See book/editions.py.
book: $(STAMP)
	$(PY) book/editions.py book

# The notebooks without their solution cells, to hand out: build/student/.
student: $(STAMP)
	$(PY) book/editions.py student

# Tests of the two editions and of the widgets in a real browser; they need Chromium
# (Debian: apt-get install -y chromium). CI runs them after `make test` (.ci/run).
test-book: book
	$(PY) -m pytest -n 0 -m book tests/test_book.py

test-student: student
	$(PY) -m pytest -n auto --dist load -m student tests/test_student.py

test-browser: $(STAMP)
	$(PY) -m pytest -n 0 -m browser tests/test_widgets_browser.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
