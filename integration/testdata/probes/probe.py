"""Hostile probe for the confinement tests (integration/confine_*_test.go).

The policy checker would reject this module on its first line: it is never
loaded through the API. The tests start it with the platform's own instance
spec and ask it, from inside the container, what the wall lets through.

One entry point, probe(check, arg), answers a JSON object. Attempts report
{"ok": bool, "errno": int or null, "error": "ExcType: message"}, so a test
can tell "refused" from "succeeded" and say why.
"""

import ctypes
import errno as errnos
import json
import mmap
import os
import shutil
import socket
import subprocess
import threading
import time

MIB = 1 << 20
_kept = []  # sockets that must outlive the call that opened them


def _attempt(fn):
    try:
        extra = fn()
    except BaseException as e:  # noqa: BLE001 - every failure is an answer
        code = getattr(e, "errno", None)
        return {"ok": False, "errno": code, "errname": errnos.errorcode.get(code, ""),
                "error": "%s: %s" % (type(e).__name__, e)}
    out = {"ok": True, "errno": None}
    if isinstance(extra, dict):
        out.update(extra)
    return out


def _hostport(arg):
    host, _, port = arg.rpartition(":")
    return host, int(port)


def check_tcp(arg):
    def go():
        socket.create_connection(_hostport(arg), timeout=3).close()
    return _attempt(go)


def check_udp(arg):
    def go():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(3)
        try:
            s.connect(_hostport(arg))
            # A DNS query for "." NS: a reply would prove a way out.
            s.send(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x01")
            return {"sent": True}
        finally:
            s.close()
    return _attempt(go)


def check_unix(arg):
    def go():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(3)
        try:
            s.connect(arg.replace("@", "\0", 1) if arg.startswith("@") else arg)
        finally:
            s.close()
    return _attempt(go)


def check_listen_abstract(arg):
    def go():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind("\0" + arg)
        s.listen(8)
        _kept.append(s)  # the backlog accepts connections without a thread
    return _attempt(go)


def check_dns(arg):
    return _attempt(lambda: {"addrs": sorted({a[4][0] for a in socket.getaddrinfo(arg, 53)})})


def check_read(arg):
    def go():
        with open(arg, "rb") as f:
            return {"text": f.read(256 << 10).decode("utf-8", "replace")}
    return _attempt(go)


def check_listdir(arg):
    return _attempt(lambda: {"entries": sorted(os.listdir(arg))})


def check_exists(arg):
    return {"ok": True, "exists": os.path.lexists(arg), "realpath": os.path.realpath(arg)}


def check_samefile(arg):
    a, _, b = arg.partition("|")
    return _attempt(lambda: {"same": os.path.samefile(a, b)})


def check_create(arg):
    """Creates a new file at arg (and removes it again if that worked)."""
    def go():
        fd = os.open(arg, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, b"probe")
        os.close(fd)
        os.unlink(arg)
    return _attempt(go)


def check_append(arg):
    """Opens an existing file for writing, without truncating it."""
    def go():
        fd = os.open(arg, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, b"\n")
        finally:
            os.close(fd)
    return _attempt(go)


def check_put(arg):
    """Writes the text after "|" into the existing file before it."""
    path, _, text = arg.partition("|")

    def go():
        with open(path, "w") as f:
            f.write(text)
    return _attempt(go)


def check_mkdir(arg):
    def go():
        os.mkdir(arg)
        os.rmdir(arg)
    return _attempt(go)


def check_unlink(arg):
    return _attempt(lambda: os.unlink(arg))


def check_chmod(arg):
    return _attempt(lambda: os.chmod(arg, 0o777))


def check_writeexec(arg):
    """Runs /bin/true (control), then a script and a copy of /bin/true
    written to the folder arg, then maps that copy executable."""
    out = {"control": _attempt(lambda: {"rc": subprocess.run(["/bin/true"], timeout=10).returncode})}
    script = os.path.join(arg, "probe.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\necho escaped\n")
    os.chmod(script, 0o755)
    out["script"] = _attempt(lambda: {"rc": subprocess.run([script], timeout=10).returncode})
    binary = os.path.join(arg, "probe-true")
    shutil.copyfile("/bin/true", binary)
    os.chmod(binary, 0o755)
    out["binary"] = _attempt(lambda: {"rc": subprocess.run([binary], timeout=10).returncode})

    def mapx():
        with open(binary, "rb") as f:
            mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ | mmap.PROT_EXEC).close()
    out["mmap_exec"] = _attempt(mapx)
    os.unlink(script)
    os.unlink(binary)
    return out


def check_fill(arg):
    """Writes 1 MiB blocks into the file arg ("path:MiB") until done or refused."""
    path, _, mb = arg.rpartition(":")
    written = 0
    res = {"ok": True, "errno": None}
    block = b"\xa5" * MIB
    try:
        with open(path, "wb") as f:
            for _ in range(int(mb)):
                f.write(block)
                f.flush()
                written += MIB
            os.fsync(f.fileno())
    except OSError as e:
        res = {"ok": False, "errno": e.errno, "errname": errnos.errorcode.get(e.errno, ""), "error": str(e)}
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
    res["written"] = written
    return res


def check_find(arg):
    """Walks the whole filesystem but /proc, /sys and /dev for a file named arg."""
    found, dirs = [], 0
    for root, subdirs, files in os.walk("/", onerror=lambda e: None):
        if root == "/":
            subdirs[:] = [d for d in subdirs if d not in ("proc", "sys", "dev")]
        dirs += 1
        if arg in files or arg in subdirs:
            found.append(os.path.join(root, arg))
    return {"ok": True, "found": found, "dirs": dirs}


def check_status(arg):
    with open("/proc/self/status") as f:
        fields = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    return {"ok": True, "status": fields}


def check_ids(arg):
    out = {"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "egid": os.getegid(),
           "groups": os.getgroups()}
    out["setuid0"] = _attempt(lambda: os.setuid(0))
    out["setgid0"] = _attempt(lambda: os.setgid(0))
    out["setgroups0"] = _attempt(lambda: os.setgroups([0]))

    def unshare_user():
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(0x10000000) != 0:  # CLONE_NEWUSER
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e))
    out["unshare_user"] = _attempt(unshare_user)
    return out


def check_env(arg):
    out = {"ok": True, "environ": dict(os.environ)}
    for name in ("/proc/self/cmdline", "/proc/1/cmdline", "/proc/1/environ", "/proc/self/environ"):
        try:
            with open(name, "rb") as f:
                out[name] = f.read().decode("utf-8", "replace")
        except OSError as e:
            out[name] = "unreadable: %s" % e
    return out


def check_procs(arg):
    pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    return {"ok": True, "pids": pids}


def check_forkbomb(arg):
    """Forks until refused (at most arg children), then reaps them."""
    children, res = [], {"ok": True, "errno": None}
    for _ in range(int(arg)):
        try:
            pid = os.fork()
        except OSError as e:
            res = {"ok": False, "errno": e.errno, "errname": errnos.errorcode.get(e.errno, ""), "error": str(e)}
            break
        if pid == 0:
            try:
                time.sleep(120)
            finally:
                os._exit(0)
        children.append(pid)
    res["forked"] = len(children)
    for pid in children:
        os.kill(pid, 9)
    for pid in children:
        os.waitpid(pid, 0)
    return res


def check_threadbomb(arg):
    """Starts threads until refused (at most arg), then ends them."""
    stop = threading.Event()
    threads, res = [], {"ok": True, "errno": None}
    for _ in range(int(arg)):
        t = threading.Thread(target=stop.wait)
        try:
            t.start()
        except BaseException as e:  # noqa: BLE001 - RuntimeError: can't start new thread
            res = {"ok": False, "errno": getattr(e, "errno", None), "error": "%s: %s" % (type(e).__name__, e)}
            break
        threads.append(t)
    res["started"] = len(threads)
    stop.set()
    for t in threads:
        t.join()
    return res


def check_membomb(arg):
    """Allocates and touches arg MiB; an OOM kill ends the process first."""
    blocks = []
    for _ in range(int(arg)):
        blocks.append(bytearray(b"\x5a" * MIB))
    return {"ok": True, "allocated": len(blocks)}


def check_ping(arg):
    return {"ok": True, "pid": os.getpid(), "time": time.time()}


CHECKS = {name[len("check_"):]: fn for name, fn in globals().items() if name.startswith("check_")}


def probe(check: str, arg: str = ""):
    fn = CHECKS.get(check)
    if fn is None:
        return {"ok": False, "error": "unknown check %r; have %s" % (check, json.dumps(sorted(CHECKS)))}
    return fn(arg)
