#!/usr/bin/env bash
# The test command (README, and CI through .ci/run): install into .venv, start PostgreSQL for the store
# tests, lint, type-check the core, test.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
if [ -z "${CAACWATCH_TEST_PG:-}" ]; then
  # Prints the server's URL; installs and starts PostgreSQL when run as root.
  if CAACWATCH_TEST_PG=$(bash scripts/postgres.sh); then
    export CAACWATCH_TEST_PG
  else
    echo "warning: PostgreSQL is not available; its tests will be skipped (CI requires them)" >&2
    unset CAACWATCH_TEST_PG
  fi
fi
# Debian's Chromium for the browser tests (apt-get as root when missing; never a downloaded browser).
if ! bash scripts/chromium.sh; then
  echo "warning: Chromium is not available; the browser tests will be skipped (CI requires them)" >&2
fi
.venv/bin/ruff check src tests benchmarks fuzz
.venv/bin/mypy
.venv/bin/pytest "$@"
