#!/usr/bin/env bash
# Provisions the Pulumi engine that @pulumi/pulumi (as installed in node_modules) needs:
#   pulumi                          the CLI and engine
#   pulumi-language-nodejs          the Node.js language host (local programs: `pulumi up` in a directory)
#   pulumi-resource-pulumi-nodejs   the dynamic-provider host
#   pulumi-analyzer-policy          the Node.js policy-pack host (policy packs as promotion gates)
#
# Order of preference:
#   1. a `pulumi` on PATH whose version fits the SDK (same major, not older);
#   2. the engine already cached for this version (a second install costs nothing);
#   3. when online, Pulumi's official installer;
#   4. a build from Pulumi's Go modules at the SDK's version (works offline through a Go module proxy).
# The result lives in $PULUMI_PROMOTIONS_CACHE (default ~/.cache/pulumi-promotions), keyed by version,
# and is linked as node_modules/.bin/pulumi so `npx pulumi ...` runs it with the right Node.js.
# Progress lines only: the tools' output (the official installer, `go get`, `go build`) goes to the install's
# log (scripts/install-steps.sh), whose last lines a failure shows.
set -euo pipefail

cd "$(dirname "$0")/.."
project_dir=$(pwd)
. scripts/install-steps.sh
install_log_start "$project_dir"
log=$PROMOTIONS_INSTALL_LOG

die() {
    printf '\nerror: %s\n' "$*" >&2
    exit 3
}
say() { printf '[engine] %s\n' "$*"; }

[ -f node_modules/@pulumi/pulumi/package.json ] || die "node_modules/@pulumi/pulumi is missing: run 'npm ci' first (scripts/install.sh does both)."
sdk_version=$(node -p "require('./node_modules/@pulumi/pulumi/package.json').version")
version="v${sdk_version}"
cache_root=${PULUMI_PROMOTIONS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-promotions}
root="$cache_root/engine/$version"
bin="$root/bin"

# Does `$1 version` print a semver with the SDK's major version and not older than the SDK?
fits() {
    local got
    got=$("$1" version 2>/dev/null | tr -d '\r' | head -n 1) || return 1
    node -e '
        const parse = (v) => (/^v?(\d+)\.(\d+)\.(\d+)/.exec(v) || []).slice(1).map(Number);
        const [got, want] = [parse(process.argv[1]), parse(process.argv[2])];
        const ok = got.length === 3 && got[0] === want[0] &&
            (got[1] > want[1] || (got[1] === want[1] && got[2] >= want[2]));
        process.exit(ok ? 0 : 1);' "$got" "$version"
}

link_cli() {
    mkdir -p "$project_dir/node_modules/.bin"
    ln -sfn "$1" "$project_dir/node_modules/.bin/pulumi"
    say "pulumi $("$1" version) at $1 (linked as node_modules/.bin/pulumi)"
}

install_shims() {
    # The dynamic-provider host: @pulumi/pulumi's small script (it resolves the SDK from the program's
    # directory at run time, so one copy serves every checkout), in this project's version that also exits
    # when the engine that started it is gone.
    cp "$project_dir/scripts/pulumi-resource-pulumi-nodejs" "$bin/pulumi-resource-pulumi-nodejs"
    chmod +x "$bin/pulumi-resource-pulumi-nodejs"
    # The Node.js policy-pack host (used when no language host is found; see the script).
    cp "$project_dir/scripts/pulumi-analyzer-policy" "$bin/pulumi-analyzer-policy"
    chmod +x "$bin/pulumi-analyzer-policy"
    ln -sfn pulumi-analyzer-policy "$bin/pulumi-analyzer-policy-nodejs"
    # Keep this project's language host current when it is the one installed.
    if [ -f "$bin/pulumi-language-nodejs.js" ]; then
        cp "$project_dir/scripts/pulumi-language-nodejs.js" "$bin/pulumi-language-nodejs.js"
    fi
}

if on_path=$(command -v pulumi 2>/dev/null) && [ "$(readlink -f "$on_path")" != "$(readlink -f "$bin/pulumi" 2>/dev/null || true)" ] && fits "$on_path"; then
    say "using the Pulumi CLI on PATH"
    link_cli "$on_path"
    exit 0
fi

if [ -x "$bin/pulumi" ] && fits "$bin/pulumi" && [ -x "$bin/pulumi-language-nodejs" ]; then
    install_shims
    say "cached engine $version"
    link_cli "$bin/pulumi"
    exit 0
fi

mkdir -p "$bin"

if [ "${PULUMI_PROMOTIONS_OFFLINE:-}" != "1" ] && command -v curl >/dev/null &&
    curl -fsSL --max-time 10 -o "$root/install.sh" https://get.pulumi.com/install.sh 2>/dev/null; then
    say "installing Pulumi $version with the official installer"
    printf '\n=== [engine] the official installer, Pulumi %s\n' "$version" >>"$log"
    if sh "$root/install.sh" --version "$sdk_version" --install-root "$root" --no-edit-path >>"$log" 2>&1 </dev/null && fits "$bin/pulumi"; then
        install_shims
        link_cli "$bin/pulumi"
        exit 0
    fi
    say "the official installer failed (see $log); building from source instead"
fi

# --- build from Pulumi's Go modules -------------------------------------------------------------------
command -v go >/dev/null || die "no Pulumi CLI $version could be found or installed, and Go is not available to build it.
Install one of:
  - the Pulumi CLI $version or newer 3.x (https://www.pulumi.com/docs/install/), on PATH; or
  - Go >= 1.25.11 with access to a Go module proxy, then run this command again."

go_version=$(go env GOVERSION | sed 's/^go//')
node -e '
    const [a, b] = process.argv.slice(1).map((v) => v.split(".").map(Number));
    for (let i = 0; i < 3; i++) { if ((a[i] || 0) !== (b[i] || 0)) process.exit((a[i] || 0) > (b[i] || 0) ? 0 : 1); }' \
    "$go_version" "1.25.11" || die "Go $go_version is too old to build Pulumi $version: Go >= 1.25.11 is needed."

export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
src="$root/src"
rm -rf "$src"
mkdir -p "$src"
cd "$src"
ldflags="-w -s -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version"

# Prints "[engine] building <what>: N/M packages" as `go build -v` reports compiled packages; everything go
# prints (package names, compiler errors) goes to the log only. On failure it returns 1 with build_code (go's
# exit code) and build_took (seconds) set, for the caller to fail or fall back.
build_with_progress() {
    local what=$1 out=$2 pkg=$3 total n=0 line code=0
    total=$(go list -deps "$pkg" 2>>"$log" | wc -l)
    local started=$SECONDS
    printf '\n=== [engine] go build %s\n' "$pkg" >>"$log"
    go build -v -trimpath -ldflags "$ldflags" -o "$out" "$pkg" 2>&1 </dev/null | tee -a "$log" | while IFS= read -r line; do
        n=$((n + 1))
        if [ -t 1 ]; then
            printf '\r[engine] building %s: %d/%d packages (%ds)' "$what" "$n" "$total" $((SECONDS - started))
        elif [ $((n % 100)) -eq 0 ]; then
            printf '[engine] building %s: %d/%d packages (%ds)\n' "$what" "$n" "$total" $((SECONDS - started))
        fi
    done || code=$?
    if [ -t 1 ]; then printf '\n'; fi
    build_code=$code
    build_took=$((SECONDS - started))
    if [ "$code" -ne 0 ] || [ ! -x "$out" ]; then
        return 1
    fi
    say "built $what in $(human_seconds "$build_took")"
}

say "building Pulumi $version from Pulumi's Go modules (first time only; cached in $root)"
cat >go.mod <<EOF
module promotions.local/pulumi-engine

go 1.25.11

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
EOF
say "resolving modules"
resolve_started=$SECONDS
printf '\n=== [engine] go get Pulumi %s\n' "$version" >>"$log"
go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$version" "github.com/pulumi/pulumi/sdk/v3@$version" >>"$log" 2>&1 </dev/null ||
    step_failed "fetching Pulumi's Go modules at $version" $? $((SECONDS - resolve_started)) \
        "check GOPROXY ($(go env GOPROXY)) and the network, or install the Pulumi CLI $version on PATH; then run 'bash scripts/install.sh' again"
say "resolved modules in $(human_seconds $((SECONDS - resolve_started)))"
build_with_progress "pulumi" "$bin/pulumi.tmp" "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi" ||
    step_failed "building the Pulumi CLI" "$build_code" "$build_took" \
        "check Go ($(go env GOVERSION), >= go1.25.11 needed) and free disk space ('go env GOCACHE'), or install the Pulumi CLI $version on PATH; then run 'bash scripts/install.sh' again"
mv "$bin/pulumi.tmp" "$bin/pulumi"

# The Node.js language host is its own module without release tags: its version is the pseudo-version of
# the commit that pkg/$version was tagged at, which the proxy reports as the tag's Origin.
langhost_module=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
built_langhost=0
origin=$(go mod download -json "github.com/pulumi/pulumi/pkg/v3@$version" 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>{try{const j=JSON.parse(s);const info=require("fs").readFileSync(j.Info,"utf8");const o=JSON.parse(info);if(o.Origin&&o.Origin.Hash){const t=o.Time.replace(/[-:TZ]/g,"").slice(0,14);console.log(`v3.0.0-${t}-${o.Origin.Hash.slice(0,12)}`)}}catch{}})') || true
if [ -n "$origin" ] && go get "$langhost_module@$origin" >>"$log" 2>&1 </dev/null; then
    build_with_progress "pulumi-language-nodejs" "$bin/pulumi-language-nodejs" "$langhost_module" && built_langhost=1
fi
if [ "$built_langhost" != 1 ]; then
    # The module proxy does not serve the language host at this version. Install the small language host
    # of this project instead: it serves Pulumi's LanguageRuntime with the SDK's own language server.
    say "the Go module proxy does not serve $langhost_module at $version; installing this project's Node.js language host"
    cp "$project_dir/scripts/pulumi-language-nodejs.js" "$bin/pulumi-language-nodejs.js"
    cat >"$bin/pulumi-language-nodejs" <<'EOF'
#!/bin/sh
exec node "$(dirname "$(readlink -f "$0")")/pulumi-language-nodejs.js" "$@"
EOF
    chmod +x "$bin/pulumi-language-nodejs"
fi
install_shims
cd "$project_dir"
rm -rf "$src"
fits "$bin/pulumi" || die "the built CLI does not report $version."
link_cli "$bin/pulumi"
