# npc-kg: `make demo` runs the whole job on the seeds; `make test` runs the test suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# grlc pins its own Flask and requests: a virtual environment of its own (tests/test_grlc.py)
GRLC := .venv-grlc/.installed
export MPLCONFIGDIR := $(CURDIR)/build/.matplotlib

.PHONY: demo test install lint bench clean quality

$(STAMP): pyproject.toml
	@# Debian's packages, when missing: LibreOffice reads Word 97-2003 .doc reports (kg.readers.word);
	@# Apache Jena (ARQ, TDB2) and Virtuoso are the other SPARQL engines the stored queries are tested on (tests/test_engines.py)
	@MISSING=$$(command -v soffice >/dev/null || echo libreoffice-writer-nogui; \
	  { command -v java >/dev/null && [ -e /usr/share/java/jena-tdb2.jar ]; } || echo default-jre-headless libapache-jena-java; \
	  command -v virtuoso-t >/dev/null || echo virtuoso-opensource-7-bin); \
	  [ -z "$$MISSING" ] || { S=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$S apt-get update -q && DEBIAN_FRONTEND=noninteractive $$S apt-get install -y -q --no-install-recommends $$MISSING; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(GRLC):
	$(PY) -m venv .venv-grlc
	.venv-grlc/bin/pip install --quiet grlc==1.3.11
	touch $(GRLC)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/kg build seeds/ --out build
	$(BIN)/kg validate --store build
	$(BIN)/kg query piloted-livelihood-voting --store build
	$(BIN)/kg network --kind bipartite --out build/network.png --store build
	$(BIN)/kg network --kind bipartite --out build/network.graphml --store build

test: $(STAMP) $(GRLC)
	$(BIN)/ruff check kg tests bench scripts
	$(BIN)/pytest
	scripts/check-wheel.sh
	$(BIN)/python scripts/quality.py   # the dev passages (../shared/dev-passages) above quality-floor.json

quality: $(STAMP)
	$(BIN)/python scripts/quality.py --groups

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf build .pytest_cache .venv-grlc
