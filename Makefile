# Crossroads: the commands a newcomer needs. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SERVER ?= http://127.0.0.1:8080
export CROSSROADS_DATABASE_URL ?= sqlite+aiosqlite:///var/crossroads.db

.PHONY: help install run play test test-fast lint format bench screenshots system-deps clean

help:
	@echo "make run          install into $(VENV), migrate, seed demo data, serve on :8080"
	@echo "make play         open the game (SERVER=$(SERVER))"
	@echo "make test         install everything the tests need and run the whole suite"
	@echo "make lint         ruff check, ruff format --check, mypy, story lint"
	@echo "make bench        print the benchmark figures"
	@echo "make screenshots  render the game's scenes and the staff pages to docs/screenshots"
	@echo "make clean        remove $(VENV), var/ and caches"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	mkdir -p var
	CROSSROADS_DEV_MODE=true $(BIN)/crossroads db upgrade
	CROSSROADS_DEV_MODE=true $(BIN)/crossroads demo seed
	CROSSROADS_DEV_MODE=true $(BIN)/crossroads demo simulate --days 30 --seed 1 --if-empty
	CROSSROADS_DEV_MODE=true $(BIN)/crossroads serve

play: $(STAMP)
	$(BIN)/crossroads play --server $(SERVER)

system-deps:
	bash scripts/install-system-deps.sh

test: $(STAMP) system-deps
	SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy $(BIN)/python -m pytest -q

test-fast: $(STAMP)
	SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy $(BIN)/python -m pytest -q -m "not e2e"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/crossroads content lint assets/story

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	@for script in bench/bench_*.py; do \
		echo "== $$script"; \
		SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy $(BIN)/python $$script || exit 1; \
	done

screenshots: $(STAMP) system-deps
	SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy $(BIN)/python -m game.screenshots --out docs/screenshots
	CROSSROADS_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -q \
		tests/e2e/test_console_browser.py tests/e2e/test_board_browser.py \
		tests/e2e/test_reports_browser.py tests/e2e/test_objective_browser.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
