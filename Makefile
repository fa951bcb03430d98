# Two commands on a fresh machine: `make demo` and `make test`. Everything they need is installed here.
VENV     := .venv
PY       := $(VENV)/bin/python
CHROMIUM := /usr/bin/chromium
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install demo test test-fast bench clean

install: $(VENV)/.installed $(CHROMIUM)

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

# Debian's Chromium: Playwright drives it through executable_path, no browser download needed.
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

demo: install
	$(VENV)/bin/policyarchive demo

test: install
	$(PY) -m pytest

test-fast: install
	$(PY) -m pytest -m "not browser"

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) demo.db* archive.db* .pytest_cache
