# Two commands for a fresh machine with Python 3.11+:  make run  |  make test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DJANGO_SETTINGS_MODULE := safeguard.settings

.PHONY: run test install lint typecheck pytest chromium lock migrate demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

install: $(VENV)/.installed

# Browser tests drive Debian's chromium; install it when missing (never a downloaded browser build).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

migrate: install
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py catalog_load

demo: migrate
	DEBUG=1 $(BIN)/python manage.py demo_seed

# Web app on http://127.0.0.1:8000/ plus its background worker and scheduler (a pass every 5 minutes, so activity
# review evaluates new events as they arrive); Ctrl-C stops all three.
run: demo
	@trap 'kill 0' INT TERM EXIT; \
	DEBUG=1 $(BIN)/python manage.py db_worker & \
	DEBUG=1 $(BIN)/python manage.py scheduler_run --loop --interval 300 & \
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:8000 --noreload

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy safeguard tests bench

pytest: install chromium
	$(BIN)/pytest

test: lint typecheck pytest

lock: install
	$(BIN)/pip-compile --quiet --no-emit-index-url --no-emit-find-links --extra dev --strip-extras -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) var
