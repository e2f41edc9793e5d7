#!/usr/bin/env bash
# Builds the container image (Dockerfile) on a machine with no image registry and no working `podman run`,
# then runs it and puts a release through its API:
#   1. a Debian bookworm root filesystem from the Debian mirror (mmdebstrap), imported with buildah as the base;
#      the build stages' toolchains are that base plus this machine's Go (>= 1.25.11) and Node.js (>= 18, it
#      only bootstraps: npm ci brings Node.js 22);
#   2. `buildah bud --isolation chroot` of the Dockerfile (the Go and npm caches of this machine are mounted
#      into the build, so a warm rebuild does not download again);
#   3. the image's root filesystem extracted, and its entrypoint run under `unshare` (own mount and PID
#      namespaces) + `chroot` as uid 10001, with the root filesystem read-only and the state, clone cache,
#      workspaces, a GitOps repository and the passphrase bind-mounted as the chart mounts its volumes;
#   4. /readyz (else /api/v1/releases, on a server without health endpoints yet) polled until ready, then a
#      release started with POST /api/v1/releases and followed until it ends.
# Prints the image's size, the time from start to ready and the release's status; exits 1 when a step fails.
# Needs root (mounts, chroot), buildah, mmdebstrap, unshare, git, curl, go and node. Slow: not part of npm test.
#
#   bash scripts/image.sh [--keep]      --keep: leave the work directory (default: removed on success)
# PROMOTIONS_IMAGE (default localhost/pulumi-promotions:dev) names the image; PROMOTIONS_IMAGE_WORK the work
# directory (default a new one under /var/tmp).
set -euo pipefail

cd "$(dirname "$0")/.."
project_dir=$(pwd)
image=${PROMOTIONS_IMAGE:-localhost/pulumi-promotions:dev}
keep=0
[ "${1:-}" = --keep ] && keep=1
say() { printf '[image] %s\n' "$*"; }
die() {
    printf '[image] error: %s\n' "$*" >&2
    exit 1
}

[ "$(id -u)" = 0 ] || die "run as root: the build and the run mount file systems and chroot"
for tool in buildah mmdebstrap unshare chroot git curl go node; do
    command -v "$tool" >/dev/null || die "$tool is missing (apt-get install -y buildah mmdebstrap; Go and Node.js as for scripts/install.sh)"
done

work=${PROMOTIONS_IMAGE_WORK:-$(mktemp -d /var/tmp/promotions-image.XXXXXX)}
mkdir -p "$work"
log="$work/build.log"
say "work directory $work (log: $log)"
cache_root=${PULUMI_PROMOTIONS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-promotions}/image
mkdir -p "$cache_root"

# --- 1. base images -------------------------------------------------------------------------------------
base_tar="$cache_root/debian-bookworm-minbase.tar"
if [ ! -s "$base_tar" ]; then
    say "debian bookworm root filesystem from the Debian mirror (mmdebstrap)"
    started=$SECONDS
    mmdebstrap --variant=minbase --include=ca-certificates,git,openssh-client bookworm "$base_tar.tmp" \
        http://deb.debian.org/debian >>"$log" 2>&1 || { tail -n 20 "$log"; die "mmdebstrap failed"; }
    mv "$base_tar.tmp" "$base_tar"
    say "base root filesystem in $((SECONDS - started))s"
fi

# new_image NAME: buildah container from the base tarball, committed as NAME after "$@" ran on its mount point.
new_image() {
    local name=$1 c mnt
    shift
    # Made once: a new base would miss every cached layer of the build.
    if buildah inspect --type image "$name" >/dev/null 2>&1; then
        return 0
    fi
    c=$(buildah from scratch)
    buildah add --quiet "$c" "$base_tar" / >>"$log" 2>&1
    mnt=$(buildah mount "$c")
    "$@" "$mnt"
    buildah umount "$c" >/dev/null
    buildah commit --quiet --rm "$c" "$name" >>"$log"
}
add_go() { cp -a "$(go env GOROOT)" "$1/usr/local/go"; }
add_node() {
    # This machine's Node.js and npm (any version >= 18: npm ci installs Node.js 22 for the project).
    cp -aL "$(command -v node)" "$1/usr/local/bin/node"
    local npm_dir
    npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
    mkdir -p "$1/usr/local/lib/node_modules"
    cp -a "$npm_dir" "$1/usr/local/lib/node_modules/npm"
    ln -sfn ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"
}
nothing() { :; }
say "base images: localhost/promotions-base, -go, -node (the Debian root filesystem, plus this machine's Go or Node.js)"
new_image localhost/promotions-base:bookworm nothing
new_image localhost/promotions-go:local add_go
new_image localhost/promotions-node:local add_node

# --- 2. the image ---------------------------------------------------------------------------------------
say "buildah bud --isolation chroot (engine from Go modules, npm ci, TypeScript build): slow the first time"
gomodcache=$(go env GOMODCACHE)
gocache=$(go env GOCACHE)
mkdir -p "$HOME/.npm"
# This machine's CA bundle (it may hold a TLS-intercepting proxy's CA, without which npm and go cannot reach
# their registries from the build), mounted for the build only: it is in no layer of the image.
ca_args=()
ca_bundle=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
if [ -s "$ca_bundle" ]; then
    ca_args=(-v "$ca_bundle:/etc/ssl/host-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/etc/ssl/host-ca.crt
        --build-arg SSL_CERT_FILE=/etc/ssl/host-ca.crt)
fi
started=$SECONDS
buildah bud --isolation chroot --layers "${ca_args[@]}" \
    --build-arg GO_IMAGE=localhost/promotions-go:local \
    --build-arg BUILD_IMAGE=localhost/promotions-node:local \
    --build-arg BASE_IMAGE=localhost/promotions-base:bookworm \
    -v "$gomodcache:/go/pkg/mod" -v "$gocache:/root/.cache/go-build" -v "$HOME/.npm:/root/.npm" \
    -t "$image" -f Dockerfile . >>"$log" 2>&1 || { tail -n 40 "$log"; die "buildah bud failed (see $log)"; }
build_seconds=$((SECONDS - started))
size=$(buildah images --format '{{.Size}}' "$image" | head -n 1)
say "built $image in ${build_seconds}s; size $size"

# --- 3. root filesystem, volumes, a GitOps repository ----------------------------------------------------
rootfs="$work/rootfs"
c=$(buildah from "$image")
mnt=$(buildah mount "$c")
mkdir -p "$rootfs"
cp -a "$mnt/." "$rootfs/"
env_file="$work/image.env"
buildah inspect --format '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' "$c" | sed '/^$/d' >"$env_file"
buildah umount "$c" >/dev/null
buildah rm "$c" >/dev/null
say "root filesystem extracted ($(du -sh "$rootfs" | cut -f1))"

data="$work/data"
mkdir -p "$data/state" "$data/cache" "$data/work" "$data/repo" "$data/secrets"
head -c 24 /dev/urandom | base64 >"$data/secrets/passphrase"
(
    cd "$data/repo"
    git init -q --bare -b main gitops.git
    git clone -q gitops.git gitops
    cp -r "$project_dir/test/fixtures/init/codefresh-quickstart-demo/." gitops/
    git -C gitops -c user.name=image -c user.email=image@localhost add -A
    git -C gitops -c user.name=image -c user.email=image@localhost commit -qm "the GitOps layout"
    git -C gitops push -q origin main
) >>"$log" 2>&1
chown -R 10001:10001 "$data"

# in_image COMMAND...: runs COMMAND in the image as uid 10001: own mount and PID namespaces, a read-only root,
# the volumes bound where the chart mounts them, the image's environment and nothing of this shell's.
in_image() {
    unshare --mount --pid --fork --kill-child=SIGTERM --propagation private bash -c '
        set -e
        rootfs=$1 data=$2 env_file=$3
        shift 3
        mount --bind "$rootfs" "$rootfs"
        mount -o remount,bind,ro "$rootfs"
        mount -t proc proc "$rootfs/proc"
        mount --rbind /dev "$rootfs/dev"
        mount -t tmpfs -o mode=1777 tmpfs "$rootfs/tmp"
        mount --bind "$data/state" "$rootfs/var/lib/promotions/state"
        mount --bind "$data/cache" "$rootfs/var/cache/promotions"
        mount --bind "$data/work" "$rootfs/var/lib/promotions/work"
        mount --bind "$data/repo" "$rootfs/definitions"
        mount --bind "$data/secrets" "$rootfs/run"
        mapfile -t image_env <"$env_file"
        exec env -i "${image_env[@]}" PULUMI_CONFIG_PASSPHRASE_FILE=/run/passphrase \
            PROMOTIONS_CONFIG=/definitions/promotions \
            chroot --userspec=10001:10001 "$rootfs" "$@"
    ' in-image "$rootfs" "$data" "$env_file" "$@"
}

# The conditions the chart sets: uid 10001, nothing writable outside the volumes.
who=$(in_image /bin/sh -c 'id -u; if touch /opt/promotions/.probe 2>/dev/null; then echo writable; else echo read-only; fi')
[ "$who" = "10001
read-only" ] || die "the image does not run as uid 10001 on a read-only root: $who"
say "runs as uid 10001, root filesystem read-only"
say "promote init in the image (definitions from the repository)"
in_image /bin/sh -c 'cd /definitions && /usr/local/bin/promote-entrypoint init --repo file:///definitions/gitops.git' \
    >>"$log" 2>&1 || { tail -n 30 "$log"; die "promote init in the image failed"; }
# A new image tag in dev, pushed as the repository's owner (uid 10001, in the image: git refuses a repository
# of another owner).
in_image /bin/sh -c 'cd /definitions &&
    sed -i "s/tag: ain-c2977e1/tag: main-1234567/" gitops/demo-applications/trioapp-dev/values.yaml &&
    git -C gitops -c user.name=image -c user.email=image@localhost commit -qam "dev: buslog main-1234567" &&
    git -C gitops push -q /definitions/gitops.git HEAD:main' >>"$log" 2>&1 || { tail -n 10 "$log"; die "the commit to dev failed"; }

# --- 4. serve, ready, a release through the API ----------------------------------------------------------
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
say "promote serve in the image on 127.0.0.1:$port (read-only root, uid 10001)"
started_ms=$(date +%s%3N)
in_image /usr/local/bin/promote-entrypoint serve --host 127.0.0.1 --port "$port" >"$work/serve.log" 2>&1 &
serve_pid=$!
cleanup() {
    kill "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
}
trap cleanup EXIT

base="http://127.0.0.1:$port"
ready_path=""
for _ in $(seq 1 600); do
    kill -0 "$serve_pid" 2>/dev/null || { tail -n 30 "$work/serve.log"; die "promote serve exited before it was ready"; }
    if curl -fsS -o /dev/null "$base/readyz" 2>/dev/null; then
        ready_path=/readyz
        break
    fi
    # A server without health endpoints yet: the API answering is the readiness there is.
    if curl -fsS -o /dev/null "$base/api/v1/releases" 2>/dev/null && [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" = 404 ]; then
        ready_path=/api/v1/releases
        break
    fi
    sleep 0.2
done
[ -n "$ready_path" ] || { tail -n 30 "$work/serve.log"; die "promote serve was not ready within 120 s"; }
ready_ms=$(($(date +%s%3N) - started_ms))
say "ready ($ready_path) $ready_ms ms after start"

answer=$(curl -fsS -X POST -H 'Content-Type: application/json' \
    -d '{"product":"demo-trioapp","flow":"dev-to-prod"}' "$base/api/v1/releases") ||
    { tail -n 30 "$work/serve.log"; die "POST /api/v1/releases failed"; }
id=$(node -e 'const r=JSON.parse(process.argv[1]); console.log(r.id ?? r.release?.id ?? "")' "$answer")
[ -n "$id" ] || die "POST /api/v1/releases answered without an id: $answer"
say "release $id started"
status=""
for _ in $(seq 1 900); do
    status=$(curl -fsS "$base/api/v1/releases/$id" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log(r.status ?? r.release?.status ?? "")})')
    case $status in
    Succeeded | Failed | Terminated) break ;;
    esac
    sleep 1
done
say "release $id: $status"
commits=$(git -c safe.directory='*' -C "$data/repo/gitops.git" rev-list --count main)
say "the repository's main has $commits commits (2 before the release)"
cleanup
trap - EXIT
printf '\nimage %s\n  size:           %s\n  build:          %ss\n  start to ready: %s ms (%s)\n  release:        %s (%s)\n' \
    "$image" "$size" "$build_seconds" "$ready_ms" "$ready_path" "$id" "$status"
[ "$status" = Succeeded ] || { tail -n 40 "$work/serve.log"; die "the release did not succeed"; }
if [ "$keep" = 0 ]; then
    rm -rf "$work"
fi
