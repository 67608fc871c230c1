#!/usr/bin/env python3
"""Cold start, measured side by side (part of `make bench`).

For each of N fresh sandboxes: POST /self-improve/load, then the first call,
timed together ("load -> first response"), against an API that keeps
pre-warmed instances and one that does not; and a bare
`docker run --rm --network none` of the runtime image. Rounds interleave the
three so they share the machine's mood. Prints medians and the ratio.

    bench/coldstart.py POOL_URL NOPOOL_URL KEY POOL_UPLOADS NOPOOL_UPLOADS [ROUNDS]
"""

import http.client
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse

FUNCTION = '''def hello(name: str = "world"):
    return {"hello": name}
'''


def request(url, method, path, body=None, key=None):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = "Bearer " + key
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def pool_ready(url):
    status, data = request(url, "GET", "/self-improve/status")
    pool = json.loads(data).get("pool", {})
    return not pool.get("enabled") or pool.get("ready", 0) >= pool.get("size", 0)


def load_and_call(url, key, uploads, hash_):
    os.makedirs(os.path.join(uploads, "results", hash_), exist_ok=True)
    with open(os.path.join(uploads, "results", hash_, "cold.py"), "w") as f:
        f.write(FUNCTION)
    deadline = time.monotonic() + 30
    while not pool_ready(url) and time.monotonic() < deadline:
        time.sleep(0.05)
    start = time.perf_counter()
    status, data = request(url, "POST", "/self-improve/load", {
        "visible_pixel_hash": hash_, "function_name": "hello", "module_name": "cold",
        "improvement_type": "api", "max_instances": 1}, key)
    if status != 200:
        raise SystemExit("load failed: %d %s" % (status, data))
    status, data = request(url, "GET", "/improved/api/%s/hello?name=x" % hash_)
    took = time.perf_counter() - start
    if status != 200:
        raise SystemExit("call failed: %d %s" % (status, data))
    request(url, "DELETE", "/self-improve/unload/%s/hello" % hash_, key=key)
    return took * 1000


def bare_run():
    start = time.perf_counter()
    subprocess.run(["docker", "run", "--rm", "--network", "none", "stargate/python-runtime:dev", "-c", "pass"],
                   check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def main(argv):
    pool_url, nopool_url, key, pool_uploads, nopool_uploads = argv[:5]
    rounds = int(argv[5]) if len(argv) > 5 else 10
    res = {"pool": [], "no pool": [], "docker run": []}
    for i in range(rounds):
        res["pool"].append(load_and_call(pool_url, key, pool_uploads, "coldp%03d" % i))
        res["no pool"].append(load_and_call(nopool_url, key, nopool_uploads, "coldn%03d" % i))
        res["docker run"].append(bare_run())
    med = {k: statistics.median(v) for k, v in res.items()}
    print()
    print("cold start, median of %d (ms)       load -> first response" % rounds)
    for k in ("pool", "no pool", "docker run"):
        print("  %-34s %8.1f   (min %.1f, max %.1f)" % (k, med[k], min(res[k]), max(res[k])))
    print()
    print("pool: %.1f ms, %.2fx a bare docker run (goal <= 100 ms and <= 0.25x)" % (
        med["pool"], med["pool"] / med["docker run"]))


if __name__ == "__main__":
    main(sys.argv[1:])
