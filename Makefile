# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
VENDOR := matchmaking/static/vendor
export FLASK_APP := wsgi

.PHONY: run test setup lint format security bench clean

setup: $(VENV)/.installed $(VENDOR)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Front-end libraries come from the npm registry and are served locally, never from a CDN.
$(VENDOR)/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)/bootstrap $(VENDOR)/echarts $(VENDOR)/htmx
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js $(VENDOR)/bootstrap/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	touch $@

# A random development key, kept out of the repository (instance/ is ignored) and private.
instance/secret_key:
	mkdir -p instance && chmod 700 instance
	umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_hex(32))' > $@

run: setup instance/secret_key
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed --if-empty
	$(BIN)/flask search rebuild --quiet 2>/dev/null || true
	@echo "平台已启动：http://127.0.0.1:5000 （Ctrl+C 停止）"
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# Runs every database test on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set.
test: setup
	$(BIN)/pytest -n 2 -rs

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# bandit over the code and sqlmap against a throwaway server on 127.0.0.1 (board, search,
# login); fails on any finding not accepted with a reason in security-accepted.toml.
security: setup
	$(BIN)/python scripts/security_scan.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .pytest_cache .ruff_cache
