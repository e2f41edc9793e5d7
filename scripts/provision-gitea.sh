#!/usr/bin/env bash
# Provisions Gitea, the real git host the pull-request tests run against (test/support/gitea.ts). Same shape
# as scripts/provision-helm.sh:
#   1. the Gitea already cached for this version (a second install costs nothing);
#   2. a build from Gitea's Go module (code.gitea.io/gitea) through the Go module proxy (no release binary is
#      downloaded). `go install code.gitea.io/gitea@v…` refuses it (its go.mod names the module gitea.dev and
#      has replace directives), so the module's source is downloaded and built in a copy.
# The result is $PULUMI_PROMOTIONS_CACHE/gitea/<version>/ (default ~/.cache/pulumi-promotions) holding the
# `gitea` binary plus templates/ and options/: built without the bindata tag, Gitea reads those from disk
# (STATIC_ROOT_PATH), and the tests point it there. The web UI's public assets are left out: the tests use the
# API and git over HTTP only. Progress lines only: what `go` prints goes to the install's log
# (scripts/install-steps.sh), whose last lines a failure shows (exit 3).
set -euo pipefail

cd "$(dirname "$0")/.."
project_dir=$(pwd)
. scripts/install-steps.sh
install_log_start "$project_dir"
log=$PROMOTIONS_INSTALL_LOG

version=${PROMOTIONS_GITEA_VERSION:-v1.27.3}
module=code.gitea.io/gitea
min_go=1.26.4 # code.gitea.io/gitea v1.27.3's go.mod
# The SQLite driver of this version is modernc's (pure Go, no cgo); the tags are those Gitea's own SQLite
# builds use, kept so an older version that still picks its driver by tag builds the same way.
tags="sqlite sqlite_unlock_notify"
cache_root=${PULUMI_PROMOTIONS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-promotions}
root="$cache_root/gitea/$version"
bin="$root/gitea"
say() { printf '[gitea] %s\n' "$*"; }

# Does `$1 --version` report $version? (Gitea prints "Gitea version 1.27.3 built with …".)
fits() {
    local got
    got=$("$1" --version 2>/dev/null) || return 1
    case $got in
    *"version ${version#v} "*) [ -d "$root/templates" ] && [ -d "$root/options" ] ;;
    *) return 1 ;;
    esac
}

done_at() { say "gitea $version at $bin"; }

if [ -x "$bin" ] && fits "$bin"; then
    say "cached gitea $version"
    done_at
    exit 0
fi

if ! command -v go >/dev/null; then
    printf '\nerror: Gitea %s is needed for the pull-request tests against a real git host, and Go is not available to build it.\n' "$version" >&2
    printf 'what to do: install Go >= %s with access to a Go module proxy, then run '"'"'bash scripts/install.sh'"'"' again.\n' "$min_go" >&2
    exit 3
fi
go_version=$(go env GOVERSION | sed 's/^go//')
if ! node -e '
    const [a, b] = process.argv.slice(1).map((v) => v.split(".").map(Number));
    for (let i = 0; i < 3; i++) { if ((a[i] || 0) !== (b[i] || 0)) process.exit((a[i] || 0) > (b[i] || 0) ? 0 : 1); }' \
    "$go_version" "$min_go"; then
    printf '\nerror: Go %s is too old to build Gitea %s: Go >= %s is needed.\n' "$go_version" "$version" "$min_go" >&2
    exit 3
fi

# GOTOOLCHAIN=local: never download a toolchain behind the user's back. CGO_ENABLED=0 as Gitea's Makefile
# builds it (the modernc SQLite driver needs no C compiler).
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0
say "building Gitea $version from its Go module (first time only, several minutes; cached in $root)"
started=$SECONDS
printf '\n=== [gitea] go mod download -json %s@%s\n' "$module" "$version" >>"$log"
# go reports a failed download in its JSON answer (`"Error"`), on stdout: it goes to the log either way.
code=0
download=$(go mod download -json "$module@$version" 2>>"$log" </dev/null) || code=$?
printf '%s\n' "$download" >>"$log"
if [ "$code" -ne 0 ]; then
    step_failed "fetching Gitea's Go module at $version" "$code" $((SECONDS - started)) \
        "check the version, GOPROXY ($(go env GOPROXY)) and the network; then run 'bash scripts/install.sh' again"
fi
module_dir=$(printf '%s' "$download" | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>{const j=JSON.parse(s);if(!j.Dir)process.exit(1);console.log(j.Dir)})') ||
    step_failed "fetching Gitea's Go module at $version (no source directory in go's answer)" 1 $((SECONDS - started)) \
        "check GOPROXY ($(go env GOPROXY)) and the network; then run 'bash scripts/install.sh' again"

# The module cache is read-only: build in a writable copy, removed afterwards.
src="$root/src"
rm -rf "$src"
mkdir -p "$root"
cp -R "$module_dir" "$src"
chmod -R u+w "$src"
cd "$src"
# `go list -deps` fetches the modules the build needs (only those: not the test-only ones) and counts the
# packages, for the progress lines.
printf '\n=== [gitea] go list -deps (fetches the modules the build needs)\n' >>"$log"
total=$(go list -tags "$tags" -deps . 2>>"$log" </dev/null | wc -l) ||
    step_failed "fetching the Go modules Gitea $version needs" 1 $((SECONDS - started)) \
        "check GOPROXY ($(go env GOPROXY)) and the network; then run 'bash scripts/install.sh' again"
say "resolved modules in $(human_seconds $((SECONDS - started)))"

started=$SECONDS
printf '\n=== [gitea] go build -tags "%s"\n' "$tags" >>"$log"
code=0
n=0
go build -v -trimpath -tags "$tags" -ldflags "-s -w -X main.Version=${version#v} -X 'main.Tags=$tags'" \
    -o "$bin.tmp" . 2>&1 </dev/null | tee -a "$log" | while IFS= read -r _; do
    n=$((n + 1))
    if [ -t 1 ]; then
        printf '\r[gitea] building gitea: %d/%d packages (%ds)' "$n" "$total" $((SECONDS - started))
    elif [ $((n % 200)) -eq 0 ]; then
        printf '[gitea] building gitea: %d/%d packages (%ds)\n' "$n" "$total" $((SECONDS - started))
    fi
done || code=$?
if [ -t 1 ]; then printf '\n'; fi
if [ "$code" -eq 0 ] && [ ! -x "$bin.tmp" ]; then code=1; fi
if [ "$code" -ne 0 ]; then
    step_failed "building Gitea $version" "$code" $((SECONDS - started)) \
        "check Go ($(go env GOVERSION), >= go$min_go needed) and free disk space ('go env GOCACHE'); then run 'bash scripts/install.sh' again"
fi
say "built gitea in $(human_seconds $((SECONDS - started)))"

# What Gitea reads from disk without bindata: its templates (the API's few HTML/mail templates among them)
# and options (locales, licences, gitignores, labels offered when a repository is created).
rm -rf "$root/templates" "$root/options"
cp -R "$src/templates" "$root/templates"
cp -R "$src/options" "$root/options"
mv "$bin.tmp" "$bin"
cd "$project_dir"
rm -rf "$src"
if ! fits "$bin"; then
    printf '\nerror: the built Gitea does not report %s (it says: %s).\n' "$version" "$("$bin" --version 2>&1 | head -n 1)" >&2
    exit 3
fi
say "gitea binary: $(du -h "$bin" | cut -f1)"
done_at
