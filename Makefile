# Pocketmentor's front door: `make demo` and `make test` on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SIZE ?= municipality
DURATION ?= 10

.PHONY: demo serve test bench lighthouse lint format messages install

demo: $(VENV)/.installed  ## Set up, seed the demo organization and serve it on http://127.0.0.1:8000
	$(BIN)/pocketmentor demo

serve: $(VENV)/.installed  ## Serve without seeding
	$(BIN)/pocketmentor serve

# axe-core for the accessibility tests comes from npm, when npm is there.
NODE_TOOLS := $(if $(shell command -v npm),node_modules/.installed)

test: $(VENV)/.installed $(NODE_TOOLS)  ## Run every test (SQLite; PostgreSQL when DATABASE_URL is set)
	$(BIN)/pytest

bench: $(VENV)/.installed  ## Measure pages and a server under load (SIZE=municipality|national|all; needs wrk)
	@$(BIN)/pocketmentor bench --size $(SIZE) --duration $(DURATION)

lighthouse: $(VENV)/.installed  ## Lighthouse scores of the running demo (start `make demo` first)
	$(BIN)/pocketmentor lighthouse

lint: $(VENV)/.installed  ## Lint, check formatting and look for missing migrations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DATA_DIR=$$(mktemp -d) $(BIN)/pocketmentor makemigrations --check --dry-run

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: $(VENV)/.installed  ## Update the translation catalogues, then compile them
	cd pocketmentor && ../$(BIN)/pocketmentor makemessages -l nb --ignore 'library/*' --ignore 'static/*'
	cd pocketmentor && ../$(BIN)/pocketmentor compilemessages

install: $(VENV)/.installed $(NODE_TOOLS)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@
