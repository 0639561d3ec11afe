# Two commands for learners and CI alike: `make lab` and `make test`.
# Each sets itself up on a fresh machine: a .venv, the project (editable, with its dev extra)
# at the exact versions of requirements/lock.txt, a Jupyter kernel named "nnlib", and the
# course's JupyterLab settings. With a wheelhouse/ folder (`make wheelhouse`, or a copy from an
# instructor's USB stick) the install reads only that folder: no network.
# Windows has no make: README.md gives the same commands by hand.
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
LOCK   := requirements/lock.txt
WHEELHOUSE ?= wheelhouse
# Where pip finds packages: the wheelhouse when it holds wheels, else the package index.
PIP_FROM := $(if $(wildcard $(WHEELHOUSE)/*.whl),--no-index --find-links $(WHEELHOUSE),)
# Containers and workshop VMs often run as root, where jupyter refuses to start without this.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
LAB_ARGS ?=
# Extra pytest arguments, e.g. PYTEST_ARGS="-n 0" for one process.
PYTEST_ARGS ?=
# make wheelhouse PLATFORMS="native macos windows" PYTHONS="3.11 3.12 3.13"
PLATFORMS ?= native
PYTHONS   ?=
UV_VERSION := 0.13.8

.PHONY: lab test setup clean lock lock-upgrade wheelhouse test-newest test-oldest check-offline \
	book student test-book test-student test-browser

setup: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet $(PIP_FROM) -c $(LOCK) --upgrade pip
	$(PY) -m pip install --quiet $(PIP_FROM) -c $(LOCK) -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name nnlib --display-name "Python (nnlib)"
	$(PY) tools/lab_settings.py
	touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 $(ROOT_FLAG) \
		--ServerApp.root_dir=. \
		--LabApp.default_url=/lab/tree/notebooks/00_tour_and_setup.ipynb $(LAB_ARGS)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# The lock: every package (transitive ones too) at one version, for every platform (uv resolves
# "universally", writing environment markers such as `; sys_platform == 'win32'`). `make lock`
# keeps each pin that still fits and resolves only what pyproject.toml changed (a new package
# gets the newest release that fits); `make lock-upgrade` moves everything to the newest releases
# allowed by pyproject.toml and requirements/holds.txt. See requirements/README.md.
# uv lives in a venv of its own (build/uv), so locking never depends on the state of .venv.
# --python-version: the oldest Python of pyproject.toml's requires-python.
lock:
	test -x build/uv/bin/uv || ($(PYTHON) -m venv build/uv && build/uv/bin/python -m pip install --quiet uv==$(UV_VERSION))
	build/uv/bin/uv pip compile pyproject.toml requirements/tools.in --extra dev --universal \
		--python-version 3.11 -c requirements/holds.txt --custom-compile-command "make lock" \
		-o $(LOCK) $(UV_FLAGS)

lock-upgrade:
	$(MAKE) lock UV_FLAGS=--upgrade

# Every wheel of the locked set, for installs with no network (see "For instructors" in README.md).
wheelhouse:
	$(PYTHON) tools/wheelhouse.py --dest $(WHEELHOUSE) --platform $(PLATFORMS) $(if $(PYTHONS),--python $(PYTHONS),)

# Second test legs (not run by CI): the unit tests in a fresh venv at the newest releases that
# pyproject.toml allows (no lock), or at its lower bounds (torch held at the lock).
test-newest:
	tools/test_leg.sh newest $(PYTEST_ARGS)

test-oldest:
	tools/test_leg.sh oldest $(PYTEST_ARGS)

# Proof of the workshop install: a fresh clone, the wheelhouse copied in, `make setup` and the
# notebooks with loopback only (needs `make wheelhouse` first, and root for unshare).
check-offline:
	tools/check_offline_install.sh

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
