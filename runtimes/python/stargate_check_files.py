"""The submitted files: the sandbox's module layout, one file's state and
violations, and parsing a file the way the runtime's import system reads it."""

import ast
import re

import stargate_policy as policy

_CODING_RE = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.ASCII)
_BLANK_RE = re.compile(r"^[ \t\f]*(?:[#\r\n]|$)", re.ASCII)
LINE_SPLIT_RE = re.compile(r"\r\n|\r|\n")


def _valid_path(path):
    if not isinstance(path, str) or not path.endswith(".py") or "\\" in path or "\0" in path:
        return False
    parts = path.split("/")
    return all(p not in ("", ".", "..") for p in parts)


class Sandbox:
    def __init__(self, files):
        self.files = {}
        self.dirs = set()
        for path, src in files.items():
            if _valid_path(path):
                self.files[path] = src
                parts = path.split("/")[:-1]
                for i in range(1, len(parts) + 1):
                    self.dirs.add("/".join(parts[:i]))

    def find(self, dotted):
        """(path or None, is_package) for a module name, or None. A package
        beats a module beats a namespace directory, as in the import system."""
        parts = dotted.split(".")
        if not all(p.isidentifier() for p in parts):
            return None
        base = "/".join(parts)
        if base + "/__init__.py" in self.files:
            return base + "/__init__.py", True
        if base + ".py" in self.files:
            return base + ".py", False
        if base in self.dirs:
            return None, True
        return None


class Violations:
    def __init__(self, path):
        self.path = path
        self.items = []
        self._seen = set()

    def add(self, rule, line, col, message):
        key = (rule, line, col, message)
        if key in self._seen:
            return
        self._seen.add(key)
        self.items.append({"file": self.path, "rule": rule, "line": line, "col": col, "message": message})


class FileInfo:
    def __init__(self, path, modname, is_package, source):
        self.path = path
        self.modname = modname
        self.package = modname if is_package else modname.rpartition(".")[0]
        self.source = source
        self.tree = None
        self.scopes = {}
        self.module_scope = None
        self.violations = Violations(path)
        self.lines_hint = None


# --- parsing ----------------------------------------------------------------------------


def parse_file(fi):
    v = fi.violations
    src = fi.source
    if "\0" in src:
        v.add("invalid-source", 1, 0, "the source contains NUL bytes")
        return
    try:
        src.encode("utf-8")
    except UnicodeEncodeError:
        v.add("invalid-source", 1, 0, "the source is not valid UTF-8")
        return
    if src.startswith("\ufeff"):
        src = src[1:]  # a UTF-8 byte order mark, as the runtime's decoder drops it
    lines = LINE_SPLIT_RE.split(src, 2)[:2]
    for i, line in enumerate(lines):
        m = _CODING_RE.match(line)
        if m:
            if _normal_encoding(m.group(1)) not in policy.ALLOWED_ENCODING_DECLARATIONS:
                v.add("encoding-declaration", i + 1, 0,
                      f"the coding declaration '{m.group(1)}' is not allowed: the file is read as UTF-8; remove the declaration")
                return
            break
        if not _BLANK_RE.match(line):
            break
    try:
        fi.tree = ast.parse(src, filename=fi.path)
    except SyntaxError as e:
        v.add("syntax-error", e.lineno or 1, max((e.offset or 1) - 1, 0), f"syntax error: {e.msg}")
    except (RecursionError, MemoryError):
        v.add("too-complex", 1, 0, "the source nests too deeply to be checked")
    except ValueError as e:
        v.add("invalid-source", 1, 0, f"the source cannot be parsed: {e}")


def _normal_encoding(name):
    # tokenize._get_normal_name
    enc = name[:12].lower().replace("_", "-")
    if enc == "utf-8" or enc.startswith("utf-8-"):
        return "utf-8"
    return enc
