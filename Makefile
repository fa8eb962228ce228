# Pocketmentor's front door: `make demo` and `make test` on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SIZE ?= municipality
DURATION ?= 10

.PHONY: demo serve test bench burst cluster-test container lighthouse lint format messages install

demo: $(VENV)/.installed  ## Set up, seed the demo organization and serve it on http://127.0.0.1:8000
	$(BIN)/pocketmentor demo

serve: $(VENV)/.installed  ## Serve without seeding
	$(BIN)/pocketmentor serve --migrate

# axe-core for the accessibility tests comes from npm, when npm is there.
NODE_TOOLS := $(if $(shell command -v npm),node_modules/.installed)

test: $(VENV)/.installed $(NODE_TOOLS)  ## Run every test (SQLite; PostgreSQL when DATABASE_URL is set)
	$(BIN)/pytest

bench: $(VENV)/.installed  ## Measure pages and a server under load (SIZE=municipality|national|all; needs wrk)
	@$(BIN)/pocketmentor bench --size $(SIZE) --duration $(DURATION)

cluster-test: $(VENV)/.installed  ## Two web nodes, two workers and Caddy on loopback, and a journey across them (needs DATABASE_URL to PostgreSQL, REDIS_URL, caddy)
	$(BIN)/pocketmentor cluster-test

# The container image (docs/deploy.md). BASE: any Debian-like image with python3 and its venv
# module; PODMAN: the command and its options (docker works too). pip's certificate authority
# and configuration, when set in PIP_CERT and PIP_CONFIG_FILE, go in as build secrets.
BASE ?= docker.io/library/python:3.11-slim-bookworm
PODMAN ?= podman
IMAGE ?= localhost/pocketmentor:latest
comma := ,
container:  ## Build the container image for the web server and the worker, and say its size
	$(PODMAN) build $(PODMAN_BUILD_FLAGS) --build-arg BASE=$(BASE) \
	  $(if $(PIP_CERT),--secret id=ca.crt$(comma)src=$(PIP_CERT)) \
	  $(if $(PIP_CONFIG_FILE),--secret id=pip.conf$(comma)src=$(PIP_CONFIG_FILE)) -t $(IMAGE) .
	@$(PODMAN) image inspect --format '$(IMAGE): {{.Size}} bytes' $(IMAGE)

burst: $(VENV)/.installed  ## 200 answers at once, the database cut for 5 s mid-burst (PostgreSQL in DATABASE_URL)
	@$(BIN)/pocketmentor bench --burst

lighthouse: $(VENV)/.installed  ## Lighthouse scores of the running demo (start `make demo` first)
	$(BIN)/pocketmentor lighthouse

lint: $(VENV)/.installed  ## Lint, check formatting, the layers of imports, types and missing migrations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DATA_DIR=$$(mktemp -d) $(BIN)/mypy
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
