# Two commands set everything up on a fresh clone with only Python: `make app` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: app test test-fast install bench reproduce clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[app,test]"
	touch $(STAMP)

install: $(STAMP)

# Until the Streamlit app lands, `make app` fits the bundled Chinchilla data from the CLI and forecasts a budget.
app: $(STAMP)
	$(BIN)/scalinglaws fit data/chinchilla_epoch/svg_extracted_data.csv --law chinchilla --drop-largest loss:5 \
		--bootstrap 1000 --out .venv/chinchilla_fit.json
	$(BIN)/scalinglaws forecast .venv/chinchilla_fit.json --compute 5.88e23 1e24 1e25

test: $(STAMP)
	$(BIN)/python -m pytest -q

# quick loops: everything but the slow tier (reproductions, notebooks, subprocesses, long fits); under a minute
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_chinchilla.py
	$(BIN)/python benchmarks/bench_engine.py

reproduce: $(STAMP)
	for d in fits/*/; do $(BIN)/scalinglaws reproduce $$d || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
