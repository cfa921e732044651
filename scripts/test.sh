#!/usr/bin/env bash
# The whole test suite: lint, every test on the embedded broker, then the worker tests on Redis.
# The first pass includes the scale-out tests (tests/e2e, marker `scaleout`): they start PostgreSQL, Redis,
# gunicorn and both workers through scripts/serve, as docker-compose.yml does (scripts/stack.py).
# Tests of learned behaviour (marker `learned`, tests/conftest.py) run under seed 0 in the first pass, then once more
# under four other seeds: what they check must hold for any seed, not only the one that passed.
# With SEGUE_STRICT_TESTS=1 (CI), a missing redis-server, postgresql or chromium is an error, not a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

$BIN/ruff check .
$BIN/ruff format --check .

$BIN/pytest "$@"

echo "== learned behaviour under four more seeds =="
SEGUE_TEST_SEEDS=1,2,3,4 $BIN/pytest -m learned "$@"

if command -v redis-server >/dev/null 2>&1; then
  echo "== worker tests against a real Redis broker =="
  # A free port of its own: two test runs on one machine must never share (and flush, and stop) one redis-server.
  port=$($BIN/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  SEGUE_TEST_BROKER=redis SEGUE_TEST_REDIS_PORT=$port $BIN/pytest -m worker tests/workers "$@"
elif [ "${SEGUE_STRICT_TESTS:-0}" = "1" ]; then
  echo "redis-server is not installed; the Redis worker tests cannot run" >&2
  exit 1
else
  echo "redis-server not installed: skipping the Redis worker tests (apt-get install redis-server)"
fi
