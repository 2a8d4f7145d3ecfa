#!/usr/bin/env bash
# Installs the pinned dependencies into .venv and runs every check: lint, format, types, the
# deployment files, tests. Extra arguments go to pytest. Each step prints a heading; the end
# says how long it all took.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
current="start"

step() {
    current="$1"
    printf '\n== %s\n' "$current"
}

finish() {
    local status=$?
    local elapsed=$((SECONDS - started))
    if [ "$status" -eq 0 ]; then
        printf '\n== All checks passed in %dm%02ds\n' $((elapsed / 60)) $((elapsed % 60))
    else
        printf '\n== Failed at "%s" after %dm%02ds\n' "$current" $((elapsed / 60)) $((elapsed % 60))
    fi
}
trap finish EXIT

step "Install: pinned dependencies into .venv"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
step "Lint: ruff check"
.venv/bin/ruff check .
step "Format: ruff format --check"
.venv/bin/ruff format --check .
step "Types: mypy"
.venv/bin/mypy
step "Deployment files: hadolint, compose schema, systemd unit"
bash scripts/check_deploy.sh
step "Tests: pytest"
.venv/bin/python -m pytest "$@"
