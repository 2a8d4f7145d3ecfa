#!/usr/bin/env bash
# Installs the pinned dependencies into .venv and runs every check: lint, format, types, the
# deployment files, tests.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
bash scripts/check_deploy.sh
.venv/bin/python -m pytest "$@"
