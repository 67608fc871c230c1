"""A pre-warmed (pooled) runner: started with no function, handed one by
its first ready call, never another."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from test_runner import BASIC, RUNNER, Client


class PooledRunner:
    def __init__(self, code, workdir, preload=""):
        self.dir = tempfile.mkdtemp(prefix="sg-pool-")
        self.socket = os.path.join(self.dir, "fn.sock")
        cmd = [sys.executable, "-I", "-B", RUNNER, "--socket", self.socket, "--code", code,
               "--workdir", workdir, "--pool", "--preload", preload]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.dir)
        deadline = time.monotonic() + 15
        while not os.path.exists(self.socket):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("pooled runner did not listen: %r" % self.proc.stderr.read())
            time.sleep(0.005)
        self.client = Client(self.socket)

    def stop(self):
        self.client.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class PoolTest(unittest.TestCase):
    def pooled(self, **kw):
        r = PooledRunner(BASIC, kw.pop("workdir", BASIC), **kw)
        self.addCleanup(r.stop)
        return r

    def test_assigned_by_first_ready(self):
        r = self.pooled(preload="json,no_such_module")
        resp = r.client.get("/_stargate/ready?module=improvements&function=hello")
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.json()["function"], "hello")
        resp = r.client.get("/invoke?name=pool")
        self.assertEqual(resp.status, 200, resp)
        self.assertIn("pool", resp.body.decode())

    def test_never_reassigned(self):
        r = self.pooled()
        self.assertEqual(r.client.get("/_stargate/ready?module=improvements&function=hello").status, 200)
        # A later ready naming another function does not change what it serves.
        resp = r.client.get("/_stargate/ready?module=improvements&function=other")
        self.assertEqual(resp.json()["function"], "hello")

    def test_bad_assignment(self):
        r = self.pooled()
        for query in ("", "module=improvements", "module=a.b&function=f", "module=m&function=f-1", "module=%ff&function=f"):
            resp = r.client.get("/_stargate/ready?" + query)
            self.assertEqual(resp.status, 400, (query, resp))
            self.assertEqual(resp.json()["code"], "bad_assignment")
        # Still unassigned: a good assignment works after bad ones.
        self.assertEqual(r.client.get("/_stargate/ready?module=improvements&function=hello").status, 200)

    def test_invoke_before_assignment(self):
        r = self.pooled()
        resp = r.client.get("/invoke")
        self.assertEqual(resp.status, 503)
        self.assertEqual(resp.json()["code"], "not_ready")


if __name__ == "__main__":
    unittest.main()
