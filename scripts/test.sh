#!/usr/bin/env bash
# Run the whole check suite: system packages, virtualenv, ruff, pytest.
# Usage: bash scripts/test.sh [pytest args...]   (e.g. -k tenant, tests/unit)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
# Browsers come from Debian's chromium package; Playwright must never download its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export AUTHSVC_TEST_CHROMIUM="${AUTHSVC_TEST_CHROMIUM:-/usr/bin/chromium}"

have_postgres() {
  local bindir
  if command -v pg_config >/dev/null 2>&1; then
    bindir="$(pg_config --bindir 2>/dev/null || true)"
    [[ -x "$bindir/initdb" && -x "$bindir/pg_ctl" ]] && return 0
  fi
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

missing=()
have_postgres || missing+=("PostgreSQL server binaries")
command -v redis-server >/dev/null 2>&1 || missing+=("redis-server")
# The nginx integration example (examples/nginx) runs in tests/clients.
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=("nginx")
[[ -x "$AUTHSVC_TEST_CHROMIUM" ]] || missing+=("$AUTHSVC_TEST_CHROMIUM")

if ((${#missing[@]})); then
  echo "==> Missing: ${missing[*]}; installing system packages with apt-get"
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      echo "==> ERROR: not root and sudo is unavailable; install postgresql redis-server chromium fonts-liberation nginx yourself" >&2
      exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "==> ERROR: apt-get not found; install PostgreSQL, redis-server and Chromium, or set AUTHSVC_TEST_CHROMIUM" >&2
    exit 1
  fi
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    postgresql redis-server chromium fonts-liberation nginx
else
  echo "==> System packages present (PostgreSQL, redis-server, Chromium, nginx)"
fi

if [[ ! -x .venv/bin/python ]]; then
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "==> ERROR: authsvc needs Python 3.11 or newer as '$PYTHON' (set PYTHON=...)" >&2
    exit 1
  fi
  echo "==> Creating .venv with $("$PYTHON" --version 2>&1)"
  "$PYTHON" -m venv .venv
fi
echo "==> Installing authsvc with test extras into .venv"
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
# The example admin plugin proves the entry-point path (tests/admin/test_plugins.py).
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e examples/authsvc-hello-plugin
# The Python client library and its framework extras; its tests (clients/python/tests)
# run against a live authsvc in the same pytest run.
.venv/bin/python -m pip install -q --disable-pip-version-check -e 'clients/python[flask,fastapi]'

# npm packages are installed from committed lockfiles; reinstall only when node_modules
# is missing or the lockfile changed.
npm_ci() {
  local dir="$1" what="$2"
  if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.authsvc-installed-lock"; then
    command -v npm >/dev/null 2>&1 || { echo "==> ERROR: npm (Node.js 20+) is needed for $dir" >&2; exit 1; }
    echo "==> Installing $what (npm ci in $dir)"
    (cd "$dir" && npm ci --no-audit --no-fund --silent)
    cp "$dir/package-lock.json" "$dir/node_modules/.authsvc-installed-lock"
  else
    echo "==> $what present ($dir/node_modules)"
  fi
}
# The federation tests run a real OpenID Provider (Node.js oidc-provider).
npm_ci tests/oidc "the test OpenID Provider"
# Postman's runner (newman) runs the generated collection in tests/clients/test_postman.py.
npm_ci tests/postman "Postman's collection runner"
# The JavaScript client's node --test suite runs from tests/clients against a live server.
npm_ci clients/js "the JavaScript client's packages"
# The Express integration example (it links the client above, so it comes second).
npm_ci examples/express-app "the Express example's packages"
# The Next.js integration example (it links the client too; its test runs next build).
npm_ci examples/nextjs-app "the Next.js example's packages"

echo "==> ruff check"
.venv/bin/ruff check .
echo "==> ruff format --check"
.venv/bin/ruff format --check .

# Everything runs, including the tests marked slow (two authsvc instances, a Redis
# outage: tests/ops/test_two_instances.py); locally, -m 'not slow' leaves them out.
# Two workers (the machine's two cores), each taking whole files, so a module's live
# server or browser is started once; arguments after these can override them (-n 0).
echo "==> pytest -n 2 --dist loadfile $*"
status=0
.venv/bin/python -m pytest -n 2 --dist loadfile "$@" || status=$?
if ((status == 5)); then
  echo "==> FAILED: pytest collected no tests (exit code 5); a suite that runs nothing proves nothing" >&2
elif ((status != 0)); then
  echo "==> FAILED: pytest exited with code $status" >&2
else
  echo "==> All checks passed"
fi
exit "$status"
