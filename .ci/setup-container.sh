#!/usr/bin/env bash
# Make the container test possible (tests/deploy/test_container.py): install Debian's podman and runc
# when missing, and make a base image available for `podman build`:
#   1. the Dockerfile's own base (python:3.11-slim pinned by digest), when it is present or can be pulled;
#   2. else a stand-in, localhost/regwarden-base:test: Debian bookworm (Python 3.11) made with
#      debootstrap, for machines that reach Debian's mirror and PyPI but not Docker Hub. It trusts the
#      host's CA bundle (PIP_CERT), as pip on the host does, so the build reaches PyPI from here too.
# Idempotent and quiet; exits 0 with a message when it cannot help (the test then skips loudly).
set -euo pipefail
cd "$(dirname "$0")/.."

STAND_IN=localhost/regwarden-base:test
BASE=$(sed -n 's/^ARG BASE=//p' Dockerfile)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "setup-container: podman is missing and apt-get is not available" >&2
        exit 0
    fi
    echo "setup-container: installing Debian's podman and runc with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >/dev/null
    $SUDO apt-get install -y -qq --no-install-recommends podman runc >/dev/null || {
        echo "setup-container: could not install podman" >&2
        exit 0
    }
fi

if podman image exists "$BASE" || podman image exists "$STAND_IN"; then
    exit 0
fi
if podman pull -q "$BASE" >/dev/null 2>&1; then
    exit 0
fi

echo "setup-container: cannot pull $BASE; building the stand-in $STAND_IN with debootstrap" >&2
if ! command -v debootstrap >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get install -y -qq --no-install-recommends debootstrap >/dev/null || exit 0
fi
root=$(mktemp -d /tmp/regwarden-base.XXXXXX)
trap '$SUDO rm -rf "$root"' EXIT
if ! $SUDO debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
        bookworm "$root" http://deb.debian.org/debian >/dev/null 2>&1; then
    echo "setup-container: debootstrap failed; the container test will skip" >&2
    exit 0
fi
$SUDO cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
$SUDO tar -C "$root" -c . | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    - "$STAND_IN" >/dev/null
echo "setup-container: built $STAND_IN" >&2
