# Two commands matter: `make demo` and `make test` (see README.md).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: demo test venv messages lint typecheck pytest pytest-postgres serve clean

$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $@

venv: $(BIN)/.installed

# Compiled catalogs (.mo) are build output, not committed.
messages: venv
	@if [ -d src/clearinghouse/locale ]; then \
	  cd src/clearinghouse && ../../$(BIN)/python -m clearinghouse compilemessages -v0; fi

demo: venv messages
	$(BIN)/clearinghouse migrate -v0
	$(BIN)/clearinghouse load_vocabularies
	$(BIN)/clearinghouse load_demo
	DEBUG=true $(BIN)/clearinghouse runserver 127.0.0.1:8000

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: venv
	$(BIN)/mypy

pytest: venv messages
	$(BIN)/pytest

# Runs when TEST_POSTGRES_URL is set (.ci/run starts a PostgreSQL server and sets it).
pytest-postgres: venv messages
	@if [ -n "$$TEST_POSTGRES_URL" ]; then \
	  echo "== PostgreSQL run"; DATABASE_URL=$$TEST_POSTGRES_URL $(BIN)/pytest -m "not browser"; \
	else echo "TEST_POSTGRES_URL not set: PostgreSQL run skipped (.ci/run sets it)"; fi

test: lint typecheck pytest pytest-postgres

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
