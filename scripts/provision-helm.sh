#!/usr/bin/env bash
# Provisions Helm v4, which the chart's tests (test/integration/chart) run to lint and render
# charts/pulumi-promotions. Same shape as scripts/provision-engine.sh:
#   1. the Helm already cached for this version (a second install costs nothing);
#   2. a build from Helm's Go module (helm.sh/helm/v4) in a throwaway module directory, which works offline
#      through a Go module proxy (no release tarball is downloaded).
# The result is $PULUMI_PROMOTIONS_CACHE/helm/<version>/helm (default ~/.cache/pulumi-promotions), where the
# chart's tests look for it (or PROMOTIONS_HELM). Progress lines only: what `go` prints goes to the install's log
# (scripts/install-steps.sh), whose last lines a failure shows (exit 3).
set -euo pipefail

cd "$(dirname "$0")/.."
project_dir=$(pwd)
. scripts/install-steps.sh
install_log_start "$project_dir"
log=$PROMOTIONS_INSTALL_LOG

version=${PROMOTIONS_HELM_VERSION:-v4.3.2}
min_go=1.26.0 # helm.sh/helm/v4 v4.3.2's go.mod
cache_root=${PULUMI_PROMOTIONS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-promotions}
root="$cache_root/helm/$version"
bin="$root/helm"
say() { printf '[helm] %s\n' "$*"; }

# Does `$1 version` report $version? (Helm prints e.g. v4.3.2+g…, or v4.3.2 with the stamp below.)
fits() {
    local got
    got=$("$1" version --template '{{.Version}}' 2>/dev/null) || return 1
    [ "${got%%+*}" = "$version" ]
}

done_at() { say "helm $version at $bin"; }

if [ -x "$bin" ] && fits "$bin"; then
    say "cached helm $version"
    done_at
    exit 0
fi

if ! command -v go >/dev/null; then
    printf '\nerror: Helm %s is needed for the chart tests, and Go is not available to build it.\n' "$version" >&2
    printf 'what to do: install Go >= %s with access to a Go module proxy, then run '"'"'bash scripts/install.sh'"'"' again.\n' "$min_go" >&2
    exit 3
fi
go_version=$(go env GOVERSION | sed 's/^go//')
if ! node -e '
    const [a, b] = process.argv.slice(1).map((v) => v.split(".").map(Number));
    for (let i = 0; i < 3; i++) { if ((a[i] || 0) !== (b[i] || 0)) process.exit((a[i] || 0) > (b[i] || 0) ? 0 : 1); }' \
    "$go_version" "$min_go"; then
    printf '\nerror: Go %s is too old to build Helm %s: Go >= %s is needed.\n' "$go_version" "$version" "$min_go" >&2
    exit 3
fi

# -mod=mod: the throwaway module has no go.sum yet; `go get` writes it. GOTOOLCHAIN=local: never download a
# toolchain behind the user's back.
export GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false"
src="$root/src"
rm -rf "$src"
mkdir -p "$src"
cd "$src"
cat >go.mod <<EOF
module promotions.local/helm

go $min_go
EOF

say "building Helm $version from its Go module (first time only; cached in $root)"
started=$SECONDS
printf '\n=== [helm] go get helm.sh/helm/v4/cmd/helm@%s\n' "$version" >>"$log"
go get "helm.sh/helm/v4/cmd/helm@$version" >>"$log" 2>&1 </dev/null ||
    step_failed "fetching Helm's Go module at $version" $? $((SECONDS - started)) \
        "check GOPROXY ($(go env GOPROXY)) and the network; then run 'bash scripts/install.sh' again"
say "resolved modules in $(human_seconds $((SECONDS - started)))"
started=$SECONDS
printf '\n=== [helm] go build helm.sh/helm/v4/cmd/helm\n' >>"$log"
# The version stamp is what `helm version` prints (and what `fits` checks); charts' kubeVersion checks use
# the default Kubernetes version, not this.
go build -trimpath -ldflags "-w -s -X helm.sh/helm/v4/internal/version.version=$version" \
    -o "$bin.tmp" helm.sh/helm/v4/cmd/helm >>"$log" 2>&1 </dev/null ||
    step_failed "building Helm $version" $? $((SECONDS - started)) \
        "check Go ($(go env GOVERSION), >= go$min_go needed) and free disk space ('go env GOCACHE'); then run 'bash scripts/install.sh' again"
mv "$bin.tmp" "$bin"
say "built helm in $(human_seconds $((SECONDS - started)))"
cd "$project_dir"
rm -rf "$src"
if ! fits "$bin"; then
    printf '\nerror: the built Helm does not report %s (it says: %s).\n' "$version" "$("$bin" version 2>&1 | head -n 1)" >&2
    exit 3
fi
done_at
