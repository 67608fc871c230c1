#!/usr/bin/env bash
# Builds every container image Stargate needs, from nothing: no registry is
# assumed. Base root filesystems come from Debian packages (debootstrap) and are
# turned into images with `docker import`; our own files are layered on top with
# `docker create` + `docker cp` + `docker commit`, so neither BuildKit nor the
# legacy builder is needed.
#
# Each image carries a label with the digest of its recipe; an image whose label
# matches is kept, so a second `make images` takes seconds.
#
# The Go images are not Debian-based: stargate/go-builder is the host's Go
# toolchain (`go env GOROOT`, trimmed) plus the build driver of
# runtimes/go/builder, and stargate/go-runtime is an almost empty root
# filesystem (function binaries are static and mounted at /code/fn). Both are
# imported from a tarball; neither has a shell.
#
# Usage: deploy/images/build.sh [python-base|python-runtime|redis|go-builder|go-runtime|all]...
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
suite=${DEBIAN_SUITE:-bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
work=${STARGATE_IMAGE_WORKDIR:-/var/tmp/stargate-images}
tag=${STARGATE_IMAGE_TAG:-dev}
# Bump to force the Debian root filesystems to be rebuilt.
base_revision=1

log() { printf '[images] %s\n' "$*" >&2; }

need() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || { log "missing command: $c (run deploy/install-deps.sh)"; exit 1; }
	done
}

# recipe_digest prints a digest of the files and words that define an image.
recipe_digest() {
	{
		printf '%s\n' "$@"
		for f in "$@"; do if [ -f "$f" ]; then cat "$f"; fi; done
	} | sha256sum | cut -c1-16
}

image_current() { # image digest
	local got
	got=$(docker image inspect -f '{{ index .Config.Labels "io.stargate.recipe" }}' "$1" 2>/dev/null || true)
	[ "$got" = "$2" ]
}

# rootfs_image NAME DIGEST PACKAGES [CHANGE...]: debootstrap a minbase rootfs
# with PACKAGES and import it as NAME.
rootfs_image() {
	local name=$1 digest=$2 packages=$3
	shift 3
	if image_current "$name" "$digest"; then
		log "$name is current"
		return
	fi
	need debootstrap
	local dir="$work/${name//[:\/]/_}"
	rm -rf "$dir" && mkdir -p "$dir" "$work/debs"
	log "debootstrap $suite into $dir (+ $packages)"
	debootstrap --variant=minbase --include="$packages" --cache-dir="$work/debs" \
		"$suite" "$dir/rootfs" "$mirror" >"$dir/debootstrap.log" 2>&1 || {
		tail -30 "$dir/debootstrap.log" >&2
		exit 1
	}
	# Package caches, docs and locales are dead weight in a function image.
	rm -rf "$dir/rootfs/var/cache/apt/archives/"*.deb "$dir/rootfs/var/lib/apt/lists/"* \
		"$dir/rootfs/usr/share/doc" "$dir/rootfs/usr/share/man" "$dir/rootfs/usr/share/locale"
	# No setuid/setgid binaries: no-new-privileges already makes them inert;
	# removing the bits means a runtime without that option is safe too.
	find "$dir/rootfs" -xdev -perm /6000 -type f -exec chmod ug-s {} +
	log "import $name"
	local args=(--change "LABEL io.stargate.recipe=$digest"
		--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8')
	for c in "$@"; do args+=(--change "$c"); done
	tar -C "$dir/rootfs" -c . | docker import "${args[@]}" - "$name" >/dev/null
	rm -rf "$dir"
}

# layer_image NAME BASE DIGEST SRC DEST [CHANGE...]: copies SRC (a directory)
# to DEST inside BASE and commits the result as NAME.
layer_image() {
	local name=$1 base=$2 digest=$3 src=$4 dest=$5
	shift 5
	if image_current "$name" "$digest"; then
		log "$name is current"
		return
	fi
	log "layer $src onto $base as $name"
	local cid
	cid=$(docker create --label io.stargate.build=1 "$base" /bin/true)
	local args=(--change "LABEL io.stargate.recipe=$digest")
	for c in "$@"; do args+=(--change "$c"); done
	if ! { docker cp "$src/." "$cid:$dest" && docker commit "${args[@]}" "$cid" "$name" >/dev/null; }; then
		docker rm -f "$cid" >/dev/null 2>&1
		exit 1
	fi
	docker rm -f "$cid" >/dev/null
	# The image this one replaced is left untagged: drop it.
	docker image prune -f --filter "label=io.stargate.recipe" >/dev/null
}

python_base() {
	local pkgs="python3,python3-numpy,python3-pil"
	python_base_digest=$(recipe_digest "$suite" "$pkgs" "$base_revision")
	rootfs_image "stargate/python-base:$suite" "$python_base_digest" "$pkgs"
}

python_runtime() {
	python_base
	local stage
	stage=$(mktemp -d)
	# Only the runtime's own modules, never tests or caches.
	cp "$repo"/runtimes/python/stargate_*.py "$stage/"
	chmod -R a+rX,go-w "$stage"
	local digest
	digest=$(cd "$stage" && recipe_digest "$python_base_digest" *)
	layer_image "stargate/python-runtime:$tag" "stargate/python-base:$suite" "$digest" "$stage" /opt/stargate \
		'USER 65534:65534' 'WORKDIR /sandbox' \
		'ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PYTHONHASHSEED=random' \
		'ENTRYPOINT ["/usr/bin/python3", "-I", "-B", "-X", "frozen_modules=on"]'
	rm -rf "$stage"
}

redis_image() {
	local pkgs="redis-server"
	local digest
	digest=$(recipe_digest "$suite" "$pkgs" "$base_revision")
	# Used by the integration tests and compose.yaml; persistence is off, the
	# tests stop and start it to exercise reconnects.
	rootfs_image "stargate/redis:$tag" "$digest" "$pkgs" \
		'USER redis' 'EXPOSE 6379' \
		'ENTRYPOINT ["/usr/bin/redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--dir", "/tmp", "--save", ""]'
}

# skeleton_rootfs DIR: the folders and accounts every Go image needs; the
# platform mounts over /code, /run/stargate, /sandbox and /tmp.
skeleton_rootfs() {
	local dir=$1
	mkdir -p "$dir"/{etc,code,sandbox,run/stargate,proc,sys,dev,tmp}
	chmod 1777 "$dir/tmp"
	printf 'root:x:0:0:root:/:/nonexistent\nnobody:x:65534:65534:nobody:/nonexistent:/nonexistent\n' >"$dir/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
}

# tar_image NAME DIGEST DIR [CHANGE...]: imports DIR as the root filesystem
# of NAME, every file owned by root.
tar_image() {
	local name=$1 digest=$2 dir=$3
	shift 3
	local args=(--change "LABEL io.stargate.recipe=$digest")
	for c in "$@"; do args+=(--change "$c"); done
	log "import $name"
	tar -C "$dir" --owner=0 --group=0 --numeric-owner -c . | docker import "${args[@]}" - "$name" >/dev/null
	docker image prune -f --filter "label=io.stargate.recipe" >/dev/null
}

# Bump to force the Go images to be rebuilt.
go_revision=1

# The host's go command: sudo's secure_path often lacks it.
gocmd=${GO:-$(command -v go || echo /usr/local/go/bin/go)}

go_builder() {
	[ -x "$gocmd" ] || { log "missing the Go toolchain (set GO=/path/to/go)"; exit 1; }
	local goroot gover digest tools
	goroot=$("$gocmd" env GOROOT)
	gover=$("$gocmd" env GOVERSION)
	tools="./pkg/tool/$("$gocmd" env GOHOSTOS)_$("$gocmd" env GOHOSTARCH)"
	digest=$(recipe_digest "$gover" "$go_revision" "$repo/runtimes/go/builder/main.go" "$here/build.sh")
	if image_current "stargate/go-builder:$tag" "$digest"; then
		log "stargate/go-builder:$tag is current"
		return
	fi
	local dir="$work/go-builder"
	rm -rf "$dir" && mkdir -p "$dir/rootfs/usr/local/go" "$dir/rootfs/opt/stargate"
	skeleton_rootfs "$dir/rootfs"
	log "copy the Go toolchain $gover from $goroot"
	# What go build needs to compile the standard library and a program:
	# no tests, test data, docs or the sources of the go command itself.
	tar -C "$goroot" -c \
		--exclude=./test --exclude=./api --exclude=./doc --exclude=./misc --exclude=./src/cmd \
		--exclude=./pkg/obj --exclude=testdata --exclude='*_test.go' \
		--exclude="$tools/cover" --exclude="$tools/fix" --exclude="$tools/preprofile" --exclude="$tools/vet" \
		. | tar -C "$dir/rootfs/usr/local/go" -x
	log "build stargate-gobuild"
	(cd "$repo" && CGO_ENABLED=0 "$gocmd" build -trimpath -ldflags='-s -w' \
		-o "$dir/rootfs/opt/stargate/stargate-gobuild" ./runtimes/go/builder)
	chmod -R a+rX,go-w "$dir/rootfs/usr/local/go" "$dir/rootfs/opt"
	tar_image "stargate/go-builder:$tag" "$digest" "$dir/rootfs" \
		'USER 65534:65534' 'WORKDIR /code' \
		'ENV PATH=/usr/local/go/bin:/usr/bin:/bin GOROOT=/usr/local/go' \
		'CMD ["/opt/stargate/stargate-gobuild", "--help"]'
	rm -rf "$dir"
}

go_runtime() {
	local digest
	digest=$(recipe_digest "go-runtime" "$go_revision" "$here/build.sh")
	if image_current "stargate/go-runtime:$tag" "$digest"; then
		log "stargate/go-runtime:$tag is current"
		return
	fi
	local dir="$work/go-runtime"
	rm -rf "$dir" && mkdir -p "$dir/rootfs"
	skeleton_rootfs "$dir/rootfs"
	tar_image "stargate/go-runtime:$tag" "$digest" "$dir/rootfs" \
		'USER 65534:65534' 'WORKDIR /sandbox' 'CMD ["/code/fn"]'
	rm -rf "$dir"
}

main() {
	need docker tar sha256sum
	mkdir -p "$work"
	[ $# -gt 0 ] || set -- all
	for target in "$@"; do
		case $target in
		python-base) python_base ;;
		python-runtime) python_runtime ;;
		redis) redis_image ;;
		go-builder) go_builder ;;
		go-runtime) go_runtime ;;
		all) python_runtime; redis_image; go_builder; go_runtime ;;
		*) log "unknown image: $target"; exit 2 ;;
		esac
	done
}

main "$@"
