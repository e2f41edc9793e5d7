#!/bin/sh
# The container's entrypoint: makes the directories promote and Pulumi write to inside the mounted volumes
# (the root filesystem may be read-only, and a fresh emptyDir is empty), then runs `promote "$@"`.
set -eu
work=${HOME:-/var/lib/promotions/work}
mkdir -p "$work/.promotions" "$work/.pulumi" "$work/tmp" "${XDG_CACHE_HOME:-/var/cache/promotions}"
# Temporary files (workspaces of the Automation API, git's) on the workspaces volume, not the image.
export TMPDIR=${TMPDIR:-$work/tmp}
exec /opt/promotions/bin/promote "$@"
