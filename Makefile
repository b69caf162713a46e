# Two commands on a fresh machine: `make run` and `make test`.
# Both create .venv from the pinned lock file on first use and reuse it afterwards.

HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The first Python 3.12+ found. pyenv shims exist for versions that are not selected,
# so each candidate is asked to run rather than merely looked up.
PYTHON ?= $(shell for c in python3.13 python3.12 python3 $$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null); do \
	$$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$c; break; }; done)

.PHONY: run test bench lint lock fake clean local-env screenshots

$(STAMP): requirements.lock
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (set PYTHON=/path/to/python3.12)." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	touch $(STAMP)

# The local settings file: a generated SECRET_KEY and PLAYGROUND_ENCRYPTION_KEYS that
# never leave this machine. Whichever is missing is added, so older checkouts keep working;
# the file is readable by its owner only. Standard library only: no venv needed.
local-env:
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (set PYTHON=/path/to/python3.12)." >&2; exit 1; }
	@$(PYTHON) -m playground.core.localenv

run: $(STAMP) local-env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/uvicorn playground.asgi:application --host $(HOST) --port $(PORT) --no-access-log --timeout-graceful-shutdown 3

test: $(STAMP) local-env
	$(BIN)/python -m pytest

bench: $(STAMP) local-env
	$(BIN)/python -m playground.bench

# The README's pictures (docs/images/), made again from the demo in Chromium.
screenshots: $(STAMP) local-env
	$(BIN)/python manage.py screenshots

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# The fake OpenRouter as a real server on a loopback port.
fake: $(STAMP) local-env
	$(BIN)/python manage.py fake_openrouter --port 8765

# Re-pin every dependency (needs uv); commit the new requirements.lock.
lock:
	uv pip compile pyproject.toml --extra dev --generate-hashes --universal --python-version 3.12 -o requirements.lock

clean:
	rm -rf $(VENV) staticfiles
