# Two commands on a fresh machine: `make demo` and `make test`. Everything they need is installed here.
VENV     := .venv
PY       := $(VENV)/bin/python
CHROMIUM := /usr/bin/chromium
REDIS    := /usr/bin/redis-server
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install demo test test-fast test-lowest bench docs clean

install: $(VENV)/.installed $(CHROMIUM) $(REDIS)

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

# Debian's Chromium: Playwright drives it through executable_path, no browser download needed.
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

# Debian's Redis: the queue between regional workers and the writer (crawler/fleet/), in tests, the bench and the demo.
$(REDIS):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq redis-server

demo: install
	$(VENV)/bin/policyarchive demo

# Two test processes (pytest-xdist), each taking whole files: most tests wait on the crawls, servers and
# browsers they start, so one process leaves a 2-core machine half idle (810 tests: 11 min alone).
PYTEST := $(PY) -m pytest -n 2 --dist loadfile

test: install
	$(PYTEST)

test-fast: install
	$(PYTEST) -m "not browser"

# The lower bounds in pyproject.toml, checked: the lowest version of every direct dependency
# (uv's lowest-direct resolution) in a venv of its own, against the tests that cover each of them.
LOWEST := .venv-lowest
test-lowest: install
	$(PY) -m pip install --quiet "uv>=0.4"
	$(VENV)/bin/uv venv --quiet --allow-existing -p $(PY) $(LOWEST)
	$(VENV)/bin/uv pip install --quiet --python $(LOWEST)/bin/python --resolution lowest-direct ".[test]"
	PYTHONPATH=$(CURDIR) $(LOWEST)/bin/python -m pytest -m "not browser" tests/test_layout.py tests/test_catalog.py \
		tests/test_extract.py tests/test_archive.py tests/test_diff.py tests/test_cli.py tests/test_pages.py \
		tests/test_crawl_http.py tests/test_import.py tests/test_docs.py tests/test_datasette.py tests/test_alerts.py

bench: install
	$(PY) -m bench

# The README's layout and docs/cli.md, generated from the code (cog); tests/test_docs.py checks them.
docs: install
	$(VENV)/bin/cog -r README.md docs/cli.md

clean:
	rm -rf $(VENV) $(LOWEST) demo.db* archive.db* .pytest_cache
