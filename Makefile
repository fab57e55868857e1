# Coachline: `make run` starts the seeded demo, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < requirements.lock | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint format content demo benchmark clean

install: $(STAMP)

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
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py generate_ticket_demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest

benchmark: install
	$(BIN)/python manage.py benchmark_grading

# The graders measured on every company's development set (never the held-back half);
# each company's knowledge base is fixtures/packs/<company>, else the demo content.
.PHONY: evaluate
evaluate: install
	@status=0; for set in fixtures/evaluation/*/dev; do \
	  company=$$(basename $$(dirname $$set)); kb=fixtures/packs/$$company; \
	  [ -d $$kb ] || kb=fixtures/content; \
	  echo "== $$company: $$set (--kb $$kb)"; \
	  $(BIN)/python manage.py evaluate_grading --kb $$kb $$set $(EVALUATE_ARGS) || status=1; \
	  echo; \
	done; exit $$status

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
