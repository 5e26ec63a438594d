# npc-kg: `make demo` runs the whole job on the seeds; `make test` runs the test suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export MPLCONFIGDIR := $(CURDIR)/build/.matplotlib

.PHONY: demo test install lint bench clean

$(STAMP): pyproject.toml
	@# LibreOffice reads Word 97-2003 .doc reports (kg.readers.word); Debian's package, when it is missing
	@command -v soffice >/dev/null || { S=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$S apt-get update -q && $$S apt-get install -y -q --no-install-recommends libreoffice-writer-nogui; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/kg build seeds/ --out build
	$(BIN)/kg validate --store build
	$(BIN)/kg query piloted-livelihood-voting --store build
	$(BIN)/kg network --kind bipartite --out build/network.png --store build
	$(BIN)/kg network --kind bipartite --out build/network.graphml --store build

test: $(STAMP)
	$(BIN)/ruff check kg tests bench scripts
	$(BIN)/pytest
	scripts/check-wheel.sh

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf build .pytest_cache
