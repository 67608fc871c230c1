#!/usr/bin/env bash
# bench/gateway.sh GATEWAY_URL DIRECT_URL ROUNDS DURATION CONNS [LABEL]: wrk
# against both, rounds interleaved; prints medians and ratios under LABEL
# (part 1 of make bench).
set -euo pipefail
gateway=$1 direct=$2 rounds=$3 duration=$4 conns=$5 label=${6:-}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
curl -fsS "$gateway" >/dev/null && curl -fsS "$direct" >/dev/null
# Warm both paths (connection pools, caches, CPU frequency).
wrk -t1 -c"$conns" -d2s "$gateway" >/dev/null
wrk -t1 -c"$conns" -d2s "$direct" >/dev/null
for r in $(seq 1 "$rounds"); do
	for side in gateway direct; do
		url=${!side}
		wrk -t1 -c1 -d"$duration" --latency "$url" | sed "s/^/$side c1 /" >>"$out"
		wrk -t1 -c"$conns" -d"$duration" --latency "$url" | sed "s/^/$side c$conns /" >>"$out"
		wrk -t1 -c32 -d"$duration" --latency "$url" | sed "s/^/$side c32 /" >>"$out"
	done
	echo "${label:+$label: }round $r of $rounds done" >&2
done
python3 - "$out" "$conns" "$label" <<'PY'
import re, statistics, sys
path, conns, label = sys.argv[1], sys.argv[2], sys.argv[3]
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
if label:
    print(label)
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
