# Two commands set everything up on a fresh clone with only Python: `make app` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: app test test-fast install bench reproduce leaderboard notebooks screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[app,test]"
	touch $(STAMP)

install: $(STAMP)

# The Streamlit app, opened on the bundled Chinchilla data (http://localhost:8501)
app: $(STAMP)
	$(BIN)/streamlit run app/Home.py --server.headless true --server.maxUploadSize 50 \
		--browser.gatherUsageStats false

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist worksteal  # two workers, an idle one takes queued tests; fresh clone with chromium: 11.0 min (2026-12-04; 15.7-18.4 on the slow 2026-12-03)

# quick loops: everything but the slow tier (reproductions, notebooks, subprocesses, the browser, app pages, long
# studies, tests over about 1.2 s warm): 37 s warm on 2 cores, 3 min on an empty cache (2026-12-04)
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m "not slow"

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_chinchilla.py
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_app.py
	$(BIN)/python benchmarks/bench_logs_scale.py
	$(BIN)/python benchmarks/bench_external.py

# the leaderboard: rerun the external benchmark entries (fits/benchmark_*; about 85 minutes on 2 cores), then
# rewrite the README's table from them
leaderboard: $(STAMP)
	$(BIN)/scalinglaws leaderboard --rerun --readme README.md

# run every notebook through a kernel and store its outputs in place (the suite checks they are stored)
notebooks: $(STAMP)
	cd notebooks && for nb in *.ipynb; do ../$(BIN)/python -c "import sys, nbformat, nbclient; \
		nb = nbformat.read(sys.argv[1], 4); nbclient.NotebookClient(nb, timeout=600, kernel_name='python3').execute(); \
		nbformat.write(nb, sys.argv[1])" $$nb || exit 1; done

# the README's screenshots of each app page (headless chromium; apt-get install chromium)
screenshots: $(STAMP)
	$(BIN)/python app/screenshots.py

reproduce: $(STAMP)
	for d in fits/*/; do $(BIN)/scalinglaws reproduce $$d || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
