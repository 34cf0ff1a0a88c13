# One-command entry points for a fresh machine with Python 3.11 and make.
#   make run        set up .venv and run the main job: train R-NaD on barrage Stratego
#                   (about 55 minutes on 2 CPU cores), then play 200 games against random
#   make test       set up .venv and run the default test suite (slow tests excluded)
#   make test-slow  run the slow tests too
# e.g. a 2-minute smoke run of the main job: make run TRAIN_ARGS="--set run.max_minutes=2"
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
RUN_DIR ?= runs/barrage-$(shell date +%Y%m%d-%H%M%S)
TRAIN_ARGS ?=

.PHONY: setup run test test-slow clean

setup: $(STAMP)

$(STAMP): setup.cfg pyproject.toml requirements/constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; stratago needs Python 3.11 (Reverb has no wheels for newer Pythons)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "error: $(PYTHON) is not Python 3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[test]"
	@touch $(STAMP)

run: setup
	$(BIN)/stratago doctor
	$(BIN)/stratago train --game stratego --out $(RUN_DIR) $(TRAIN_ARGS)

test: setup
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

test-slow: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) *.egg-info
