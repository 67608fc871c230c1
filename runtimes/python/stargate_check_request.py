"""One request: ``handle`` answers a decoded request object (ping or check);
``check`` runs an ``Analysis`` and the ``Walker`` over every reachable file."""

import ast
import sys

import stargate_policy as policy
from stargate_check_analysis import Analysis
from stargate_check_signature import top_level_function, signature
from stargate_check_walk import Walker

PYTHON_VERSION = "%d.%d.%d" % sys.version_info[:3]


class RequestError(Exception):
    pass


def check(lib, req):
    files = req.get("files")
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise RequestError("files must be an object mapping paths to source strings")
    function = req.get("function")
    if not isinstance(function, str) or not function.isidentifier():
        raise RequestError("function must be an identifier")
    module = req.get("module")
    if module is not None and (not isinstance(module, str) or not module.isidentifier()):
        raise RequestError("module must be an identifier or null")
    an = Analysis(lib, files)
    out = {}
    if module is None:
        candidates = []
        for path in sorted(an.sandbox.files):
            if "/" in path or not path[:-3].isidentifier():
                continue
            try:
                tree = ast.parse(an.sandbox.files[path].lstrip("\ufeff"))
            except Exception:
                continue
            if top_level_function(tree, function) is not None:
                candidates.append(path[:-3])
        out["candidates"] = candidates
        if len(candidates) != 1:
            out.update(module=None, function=None, files=[], violations=[])
            return out
        module = candidates[0]
    found = an.sandbox.find(module)
    if found is None or found[0] is None:
        return {"error": "module_not_found", "module": module}
    an.need(module)
    an.follow()
    entry = an.infos[found[0]]
    fn = top_level_function(entry.tree, function) if entry.tree is not None else None
    for path in sorted(an.infos):
        fi = an.infos[path]
        if fi.tree is None:
            continue
        try:
            Walker(an, fi).run()
        except (RecursionError, MemoryError):
            fi.violations.add("too-complex", 1, 0, "the source nests too deeply to be checked")
    violations = []
    for path in sorted(an.infos):
        violations.extend(sorted(an.infos[path].violations.items, key=lambda x: (x["line"], x["col"], x["rule"])))
    out["module"] = module
    out["function"] = signature(fn) if fn is not None else None
    out["files"] = sorted(an.reachable)
    if len(violations) > policy.MAX_VIOLATIONS:
        violations = violations[: policy.MAX_VIOLATIONS]
        out["truncated"] = True
    out["violations"] = violations
    return out


def handle(lib, req):
    rid = req.get("id") if isinstance(req, dict) else None
    try:
        if not isinstance(req, dict):
            raise RequestError("a request must be a JSON object")
        op = req.get("op")
        if op == "ping":
            return {"id": rid, "ok": True, "python": PYTHON_VERSION}
        if op == "check":
            resp = check(lib, req)
            resp["id"] = rid
            return resp
        raise RequestError(f"unknown op {op!r}")
    except RequestError as e:
        return {"id": rid, "error": str(e)}
    except (RecursionError, MemoryError):
        return {"id": rid, "error": "internal: input too complex"}
    except Exception as e:  # never crash on any input
        return {"id": rid, "error": f"internal: {type(e).__name__}: {e}"}
