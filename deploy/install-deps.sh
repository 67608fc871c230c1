#!/usr/bin/env bash
# Installs what a fresh machine of ours lacks to build the images and run the
# tests and benchmarks: debootstrap (image root filesystems) and wrk (make
# bench). Docker and Go are already there.
set -euo pipefail
missing=()
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
	echo "[deps] installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q "${missing[@]}" >/dev/null
fi
docker version --format '[deps] docker engine {{.Server.Version}}' || {
	echo "[deps] the Docker engine is not answering" >&2
	exit 1
}
