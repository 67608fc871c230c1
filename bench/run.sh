#!/usr/bin/env bash
# make bench, in three parts, each measured in one run with rounds
# interleaved so that both sides see the same machine:
#   1. a warm trivial function called through the gateway vs. the same
#      function served by a minimal single-process asyncio server on the host
#      (bench/baseline.py), one instance; then the same for a trivial Go
#      function, against the same baseline;
#   2. cold start: load -> first response with pre-warmed instances, without,
#      and a bare `docker run --rm --network none` of the runtime image;
#   3. throughput of the function on 1, 2 and 4 instances.
#
#   ROUNDS=5 DURATION=5s make bench        PARTS="1 3" make bench
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
duration=${DURATION:-5s}
conns=${CONNS:-8}
parts=${PARTS:-1 2 3}

command -v wrk >/dev/null || { echo "wrk is missing: run deploy/install-deps.sh" >&2; exit 1; }
work=$(mktemp -d /tmp/stargate-bench.XXXXXX)
key=bench-key-$(date +%s)-0123456789
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_api NAME [ENV...]: starts bin/stargate with its own folders; sets
# $url and $uploads.
start_api() {
	local name=$1
	shift
	local port
	port=$(free_port)
	uploads=$work/$name/uploads
	mkdir -p "$uploads/results"
	env STARGATE_ADDR=127.0.0.1:$port STARGATE_API_KEY=$key UPLOADS_DIR=$uploads \
		STARGATE_DATA_DIR=$work/$name/state STARGATE_NAMESPACE=bench-$name STARGATE_LOG_LEVEL=warn "$@" \
		bin/stargate 2>"$work/$name.log" &
	pids+=($!)
	url=http://127.0.0.1:$port
	for _ in $(seq 1 600); do
		curl -fs "$url/health" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "$name did not start:" >&2
	cat "$work/$name.log" >&2
	exit 1
}

# load URL JSON
load() {
	curl -fsS -X POST "$1/self-improve/load" -H "Authorization: Bearer $key" \
		-H 'Content-Type: application/json' -d "$2" >/dev/null
}

hello='def hello(name: str = "world"):
    return {"hello": name}'
hello_go='package bench

// Hello greets.
func Hello(name string) map[string]string { return map[string]string{"hello": name} }'

if [[ " $parts " == *" 1 "* || " $parts " == *" 3 "* ]]; then
	start_api main STARGATE_POOL_SIZE=0
	main_url=$url
	mkdir -p "$uploads/results/bench0001"
	echo "$hello" >"$uploads/results/bench0001/bench.py"
	load "$main_url" '{"visible_pixel_hash":"bench0001","function_name":"hello","module_name":"bench","improvement_type":"api","max_instances":1}'
fi

if [[ " $parts " == *" 1 "* ]]; then
	# The first Go load on a fresh API may wait for the build cache to fill.
	mkdir -p "$uploads/results/bench0002"
	echo "$hello_go" >"$uploads/results/bench0002/hello.go"
	load "$main_url" '{"visible_pixel_hash":"bench0002","function_name":"Hello","module_name":"hello","language":"go","improvement_type":"api","max_instances":1}'
fi

if [[ " $parts " == *" 1 "* ]]; then
	direct_port=$(free_port)
	python3 bench/baseline.py "$direct_port" >/dev/null &
	pids+=($!)
	sleep 0.3
	bash bench/gateway.sh "$main_url/improved/api/hello?name=x" "http://127.0.0.1:$direct_port/?name=x" \
		"$rounds" "$duration" "$conns" "Python function"
	bash bench/gateway.sh "$main_url/improved/api/Hello?name=x" "http://127.0.0.1:$direct_port/?name=x" \
		"$rounds" "$duration" "$conns" "Go function"
fi

if [[ " $parts " == *" 2 "* ]]; then
	start_api pool STARGATE_POOL_SIZE=2
	pool_url=$url pool_uploads=$uploads
	start_api nopool STARGATE_POOL_SIZE=0
	python3 bench/coldstart.py "$pool_url" "$url" "$key" "$pool_uploads" "$uploads" "${COLD_ROUNDS:-10}"
fi

if [[ " $parts " == *" 3 "* ]]; then
	echo
	printf '%-26s %14s %14s\n' "instances (min = max)" "8 conns req/s" "32 conns req/s"
	for n in 1 2 4; do
		load "$main_url" "{\"visible_pixel_hash\":\"bench0001\",\"function_name\":\"hello\",\"module_name\":\"bench\",\"improvement_type\":\"api\",\"min_instances\":$n,\"max_instances\":$n}"
		for _ in $(seq 1 100); do
			got=$(curl -fs "$main_url/self-improve/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_improvements"][0]["instances"])')
			[ "$got" = "$n" ] && break
			sleep 0.2
		done
		wrk -t1 -c32 -d2s "$main_url/improved/api/hello?name=x" >/dev/null
		r8=$(wrk -t1 -c8 -d"$duration" "$main_url/improved/api/hello?name=x" | awk '/Requests\/sec/ {print $2}')
		r32=$(wrk -t1 -c32 -d"$duration" "$main_url/improved/api/hello?name=x" | awk '/Requests\/sec/ {print $2}')
		printf '%-26s %14.0f %14.0f\n' "$n" "$r8" "$r32"
	done
fi
