#!/usr/bin/env bash
# Provisions versitygw (github.com/versity/versitygw), an S3-compatible server the tests of the s3:// coordination
# store and of Pulumi's own S3 backend start on a loopback port with its posix backend (test/support/s3Server.ts).
# Same shape as scripts/provision-helm.sh:
#   1. the versitygw already cached for this version (a second install costs nothing);
#   2. a build from its Go module in a throwaway module directory, which works offline through a Go module
#      proxy (no release tarball is downloaded).
# The result is $PULUMI_PROMOTIONS_CACHE/versitygw/<version>/versitygw (default ~/.cache/pulumi-promotions),
# where the tests look for it (or PROMOTIONS_VERSITYGW). Progress lines only: what `go` prints goes to the
# install's log (scripts/install-steps.sh), whose last lines a failure shows (exit 3).
set -euo pipefail

cd "$(dirname "$0")/.."
project_dir=$(pwd)
. scripts/install-steps.sh
install_log_start "$project_dir"
log=$PROMOTIONS_INSTALL_LOG

version=${PROMOTIONS_VERSITYGW_VERSION:-v1.8.0}
min_go=1.25.0 # github.com/versity/versitygw v1.8.0's go.mod
cache_root=${PULUMI_PROMOTIONS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-promotions}
root="$cache_root/versitygw/$version"
bin="$root/versitygw"
say() { printf '[versitygw] %s\n' "$*"; }

# Does `$1 --version` report $version? (It prints "Version  : v1.8.0" with the stamp below.)
fits() {
    local got
    got=$("$1" --version 2>/dev/null | sed -n 's/^Version *: *//p') || return 1
    [ "$got" = "$version" ]
}

done_at() { say "versitygw $version at $bin"; }

if [ -x "$bin" ] && fits "$bin"; then
    say "cached versitygw $version"
    done_at
    exit 0
fi

if ! command -v go >/dev/null; then
    printf '\nerror: versitygw %s is needed for the S3 store tests, and Go is not available to build it.\n' "$version" >&2
    printf 'what to do: install Go >= %s with access to a Go module proxy, then run '"'"'bash scripts/install.sh'"'"' again.\n' "$min_go" >&2
    exit 3
fi
go_version=$(go env GOVERSION | sed 's/^go//')
if ! node -e '
    const [a, b] = process.argv.slice(1).map((v) => v.split(".").map(Number));
    for (let i = 0; i < 3; i++) { if ((a[i] || 0) !== (b[i] || 0)) process.exit((a[i] || 0) > (b[i] || 0) ? 0 : 1); }' \
    "$go_version" "$min_go"; then
    printf '\nerror: Go %s is too old to build versitygw %s: Go >= %s is needed.\n' "$go_version" "$version" "$min_go" >&2
    exit 3
fi

# -mod=mod: the throwaway module has no go.sum yet; `go get` writes it. GOTOOLCHAIN=local: never download a
# toolchain behind the user's back. CGO_ENABLED=0: the posix backend needs no C, and a static binary needs no
# compiler on the machine.
export GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0
src="$root/src"
rm -rf "$src"
mkdir -p "$src"
cd "$src"
cat >go.mod <<EOF
module promotions.local/versitygw

go $min_go
EOF

say "building versitygw $version from its Go module (first time only; cached in $root)"
started=$SECONDS
printf '\n=== [versitygw] go get github.com/versity/versitygw/cmd/versitygw@%s\n' "$version" >>"$log"
go get "github.com/versity/versitygw/cmd/versitygw@$version" >>"$log" 2>&1 </dev/null ||
    step_failed "fetching versitygw's Go module at $version" $? $((SECONDS - started)) \
        "check GOPROXY ($(go env GOPROXY)) and the network; then run 'bash scripts/install.sh' again"
say "resolved modules in $(human_seconds $((SECONDS - started)))"
started=$SECONDS
printf '\n=== [versitygw] go build github.com/versity/versitygw/cmd/versitygw\n' >>"$log"
# The version stamp is what `versitygw --version` prints (and what `fits` checks), as the project's Makefile sets it.
go build -trimpath -ldflags "-w -s -X main.Version=$version -X main.Build=module" \
    -o "$bin.tmp" github.com/versity/versitygw/cmd/versitygw >>"$log" 2>&1 </dev/null ||
    step_failed "building versitygw $version" $? $((SECONDS - started)) \
        "check Go ($(go env GOVERSION), >= go$min_go needed) and free disk space ('go env GOCACHE'); then run 'bash scripts/install.sh' again"
mv "$bin.tmp" "$bin"
say "built versitygw in $(human_seconds $((SECONDS - started))) ($(du -m "$bin" | cut -f1) MB)"
cd "$project_dir"
rm -rf "$src"
if ! fits "$bin"; then
    printf '\nerror: the built versitygw does not report %s (it says: %s).\n' "$version" "$("$bin" --version 2>&1 | head -n 1)" >&2
    exit 3
fi
done_at
