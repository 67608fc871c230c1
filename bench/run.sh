#!/usr/bin/env bash
# make bench: a warm trivial function called through the gateway vs. the same
# function served by a minimal single-process asyncio server on the host
# (bench/baseline.py), measured in one run with wrk, rounds interleaved so
# both sides see the same machine. Prints medians and ratios.
#
#   ROUNDS=5 DURATION=5s make bench
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
duration=${DURATION:-5s}
conns=${CONNS:-8}

command -v wrk >/dev/null || { echo "wrk is missing: run deploy/install-deps.sh" >&2; exit 1; }
work=$(mktemp -d /tmp/stargate-bench.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
api_port=$(free_port)
direct_port=$(free_port)
key=bench-key-$(date +%s)-0123456789

cleanup() {
	[ -n "${api_pid:-}" ] && kill -TERM "$api_pid" 2>/dev/null && wait "$api_pid" 2>/dev/null || true
	[ -n "${direct_pid:-}" ] && kill "$direct_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/uploads/results/bench0001"
cat >"$work/uploads/results/bench0001/bench.py" <<'PY'
def hello(name: str = "world"):
    return {"hello": name}
PY

STARGATE_ADDR=127.0.0.1:$api_port STARGATE_API_KEY=$key UPLOADS_DIR=$work/uploads \
	STARGATE_DATA_DIR=$work/state STARGATE_NAMESPACE=bench STARGATE_LOG_LEVEL=warn \
	bin/stargate 2>"$work/stargate.log" &
api_pid=$!
python3 bench/baseline.py "$direct_port" &
direct_pid=$!

for _ in $(seq 1 600); do
	curl -fs "http://127.0.0.1:$api_port/health" >/dev/null 2>&1 && break
	sleep 0.1
done
curl -fsS -X POST "http://127.0.0.1:$api_port/self-improve/load" -H "Authorization: Bearer $key" \
	-H 'Content-Type: application/json' \
	-d '{"visible_pixel_hash":"bench0001","function_name":"hello","module_name":"bench","improvement_type":"api","max_instances":1}' >/dev/null \
	|| { echo "load failed:"; cat "$work/stargate.log"; exit 1; }

gateway="http://127.0.0.1:$api_port/improved/api/hello?name=x"
direct="http://127.0.0.1:$direct_port/?name=x"
curl -fsS "$gateway" >/dev/null && curl -fsS "$direct" >/dev/null
# Warm both paths (connection pools, caches, CPU frequency).
wrk -t1 -c"$conns" -d2s "$gateway" >/dev/null
wrk -t1 -c"$conns" -d2s "$direct" >/dev/null

out=$work/results
: >"$out"
for r in $(seq 1 "$rounds"); do
	for side in gateway direct; do
		url=${!side}
		wrk -t1 -c1 -d"$duration" --latency "$url" | sed "s/^/$side c1 /" >>"$out"
		wrk -t1 -c"$conns" -d"$duration" --latency "$url" | sed "s/^/$side c$conns /" >>"$out"
		wrk -t1 -c32 -d"$duration" --latency "$url" | sed "s/^/$side c32 /" >>"$out"
	done
	echo "round $r of $rounds done" >&2
done

python3 - "$out" "$conns" <<'PY'
import re, statistics, sys
path, conns = sys.argv[1], sys.argv[2]
unit = {"us": 1e-3, "ms": 1.0, "s": 1e3}
data = {}
for line in open(path):
    side, c, rest = line.split(" ", 2)
    m = re.match(r"\s+50%\s+([\d.]+)(us|ms|s)", rest)
    if m:
        data.setdefault((side, c, "p50"), []).append(float(m.group(1)) * unit[m.group(2)])
    m = re.match(r"\s+99%\s+([\d.]+)(us|ms|s)", rest)
    if m:
        data.setdefault((side, c, "p99"), []).append(float(m.group(1)) * unit[m.group(2)])
    m = re.match(r"Requests/sec:\s+([\d.]+)", rest)
    if m:
        data.setdefault((side, c, "rps"), []).append(float(m.group(1)))
med = {k: statistics.median(v) for k, v in data.items()}
cN = "c" + conns
print()
print("%-34s %12s %12s %10s" % ("median of %d rounds" % len(data[("gateway", "c1", "rps")]), "gateway", "direct", "ratio"))
for label, key, fmt in [
    ("p50 latency, 1 connection (ms)", ("c1", "p50"), "%.3f"),
    ("p99 latency, 1 connection (ms)", ("c1", "p99"), "%.3f"),
    ("throughput, 1 connection (req/s)", ("c1", "rps"), "%.0f"),
    ("p50 latency, %s connections (ms)" % conns, (cN, "p50"), "%.3f"),
    ("throughput, %s connections (req/s)" % conns, (cN, "rps"), "%.0f"),
    ("throughput, 32 connections (req/s)", ("c32", "rps"), "%.0f"),
]:
    g, d = med[("gateway",) + key], med[("direct",) + key]
    print("%-34s %12s %12s %9.2fx" % (label, fmt % g, fmt % d, g / d))
print()
print("p50 overhead at 1 connection: %+.3f ms (goal <= 0.100)" % (med[("gateway", "c1", "p50")] - med[("direct", "c1", "p50")]))
print("throughput at %s connections: %.2fx of direct (goal >= 0.70)" % (conns, med[("gateway", cN, "rps")] / med[("direct", cN, "rps")]))
PY
