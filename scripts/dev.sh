#!/usr/bin/env bash
# One command for a newcomer: install authsvc into .venv, create the demo tenant, serve it.
# Usage: bash scripts/dev.sh [authsvc up options...]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "==> ERROR: authsvc needs Python 3.11 or newer as '$PYTHON' (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi
if [[ ! -x .venv/bin/python ]]; then
  echo "==> Creating .venv with $("$PYTHON" --version 2>&1)"
  "$PYTHON" -m venv .venv
fi
echo "==> Installing authsvc into .venv"
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
echo "==> Starting authsvc (demo tenant, API key and admin are printed below)"
exec .venv/bin/authsvc up "$@"
