#!/usr/bin/env python3
"""Stargate's policy checker: decides, from the source alone, whether
agent-written Python may run.

Nothing of the submitted code is executed: it is parsed with ``ast`` and
walked. The tunable lists live in ``stargate_policy.py`` next to this file;
this file is the mechanism:

* ``Analysis`` handles one request: it finds the entry module, follows its
  imports through the sandbox files (breadth first), and checks every file it
  can reach with the same policy.
* ``Binder`` is a pre-pass over one file: its scopes and the names bound in
  each (imports are resolved here, so the reachable set is known before any
  file is checked).
* ``Walker`` is the check proper: every node, with the context an expression
  is used in (called, used as ``module.attr`` base, compared, used as a
  value...), because "a module object used as a value" or "getattr passed as
  an argument" is only visible from the use.
* ``LibIndex`` answers questions about the checker's own interpreter (the
  same image as the runtime): is a name a standard-library or installed
  module, what does ``numpy.lib`` hold, is this object ``numpy.load``.

Protocol: newline-delimited JSON over a unix stream socket (or stdin/stdout
with ``--stdin``), one request per line, one response per line.
"""

import argparse
import ast
import builtins
import enum
import importlib
import importlib.util
import json
import os
import re
import signal
import socketserver
import stat
import string
import sys
import threading
import time
import types
import unicodedata
import warnings

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import stargate_policy as policy  # noqa: E402

PYTHON_VERSION = "%d.%d.%d" % sys.version_info[:3]

# Contexts an expression can be used in.
VALUE, CALLEE, ATTR_BASE, TEST, COMPARE, ISINSTANCE, CLASS_BASE, METACLASS, DECORATOR, DEL, STORE = range(11)

# Ref kinds: what the checker statically knows an expression to be.
MODULE = "module"  # an allowed library module (obj: the module, or None)
SANDBOX = "sandbox"  # a sandbox module (name: dotted name)
OBJECT = "object"  # an object of an allowed library module (obj)
BUILTIN = "builtin"  # a builtin that matters (name)
TYPE_RESULT = "type-result"  # the result of type(x): maybe a metaclass
SUPER = "super"
USER_ENUM = "user-enum"  # a sandbox Enum subclass without members
GETATTR_METHOD = "getattr-method"  # x.__setattr__ & co (extra: "bound" or "unbound")
STR_FORMAT = "str-format"  # str.format / str.format_map, unbound
APPLIED = "applied"  # functools.wraps(f): a partial whose keywords could be edited
DEAD = "dead"  # already reported, or bound only in a never-run main block

_BUILTIN_NAMES = frozenset(dir(builtins))
_SPECIAL_BUILTINS = (
    frozenset(policy.BANNED_BUILTINS)
    | policy.DYNAMIC_ATTRIBUTE_BUILTINS
    | {"type", "object", "str", "super", "isinstance", "issubclass"}
)
_CODING_RE = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.ASCII)
_BLANK_RE = re.compile(r"^[ \t\f]*(?:[#\r\n]|$)", re.ASCII)
_LINE_SPLIT_RE = re.compile(r"\r\n|\r|\n")
_SCOPE_HINT_RE = re.compile(r"lambda|:=|\bfor\b|\basync\b")


class Ref:
    __slots__ = ("kind", "name", "obj", "extra")

    def __init__(self, kind, name=None, obj=None, extra=None):
        self.kind = kind
        self.name = name
        self.obj = obj
        self.extra = extra


_DEAD = Ref(DEAD)


def is_dunder(name):
    return len(name) > 4 and name[:2] == "__" and name[-2:] == "__"


def nfkc(s):
    return unicodedata.normalize("NFKC", s)


# --- the checker's own interpreter ------------------------------------------------


class LibIndex:
    """What the checker's interpreter knows about library modules. Shared by
    all requests; it only ever imports modules on the allowlist."""

    def __init__(self):
        self._lock = threading.RLock()
        self._external = {}
        self._modules = {}
        self._submodule = {}
        self._banned = {}  # id(obj) -> (qualified name, reason)
        self._restricted = {}  # id(obj) -> (qualified name, RESTRICTED_CALLABLES spec)
        self._keep = []
        self._public = {}

    def warm(self):
        """Imports the allowed modules and resolves the banned objects."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in sorted(policy.ALLOWED_MODULES):
                self.module(name)
            for qual, reason in policy.BANNED_OBJECTS.items():
                obj = self.lookup(qual)
                if _identity_bannable(obj):
                    self._banned[id(obj)] = (qual, reason)
                    self._keep.append(obj)
            for qual, spec in policy.RESTRICTED_CALLABLES.items():
                obj = self.lookup(qual)
                if _identity_bannable(obj):
                    self._restricted[id(obj)] = (qual, spec)
                    self._keep.append(obj)
        return self

    def lookup(self, qual):
        """The object a dotted path names, or None."""
        parts = qual.split(".")
        for i in range(len(parts), 0, -1):
            modname = ".".join(parts[:i])
            if modname in policy.ALLOWED_MODULES:
                obj = self.module(modname)
                if obj is None:
                    return None
                for attr in parts[i:]:
                    try:
                        obj = getattr(obj, attr)
                    except Exception:
                        return None
                return obj
        return None

    def is_external(self, top):
        """Whether a top-level module name is a standard-library or installed
        module, which the runtime finds before the sandbox directory."""
        if top in sys.stdlib_module_names or top in sys.builtin_module_names:
            return True
        with self._lock:
            hit = self._external.get(top)
            if hit is not None:
                return hit
            try:
                found = importlib.util.find_spec(top) is not None
            except (ImportError, ValueError, AttributeError):
                found = True  # something is there; never treat it as sandbox code
            if len(self._external) > 10000:
                self._external.clear()
            self._external[top] = found
            return found

    def module(self, name):
        """Imports an allowed module (never anything else); None if it fails."""
        if name not in policy.ALLOWED_MODULES:
            return None
        with self._lock:
            if name in self._modules:
                return self._modules[name]
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    mod = importlib.import_module(name)
            except Exception:
                mod = None
            self._modules[name] = mod
            return mod

    def is_submodule(self, name):
        with self._lock:
            hit = self._submodule.get(name)
            if hit is None:
                try:
                    hit = importlib.util.find_spec(name) is not None
                except Exception:
                    hit = False
                self._submodule[name] = hit
            return hit

    def module_attr(self, modname, mod, attr):
        """('module', real name) | ('object', value) | ('missing', None)"""
        d = vars(mod)
        if attr in d:
            value = d[attr]
        elif self.is_submodule(modname + "." + attr):
            return "module", modname + "." + attr
        elif "__getattr__" in d:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    value = getattr(mod, attr)
            except Exception:
                return "missing", None
        else:
            return "missing", None
        if isinstance(value, types.ModuleType):
            return "module", value.__name__
        return "object", value

    def public_names(self, modname, mod):
        with self._lock:
            hit = self._public.get(modname)
            if hit is None:
                names = getattr(mod, "__all__", None)
                if not isinstance(names, (list, tuple)):
                    names = [n for n in vars(mod) if not n.startswith("_")]
                hit = [n for n in names if isinstance(n, str)]
                self._public[modname] = hit
            return hit

    def banned(self, obj):
        return self._banned.get(id(obj)) if _identity_bannable(obj) else None

    def restricted(self, obj):
        return self._restricted.get(id(obj)) if _identity_bannable(obj) else None


def _identity_bannable(obj):
    # Only objects with a stable identity: never None, numbers or strings.
    return obj is not None and (callable(obj) or isinstance(obj, type))


def _is_metaclass(obj):
    return isinstance(obj, type) and issubclass(obj, type)


def _is_memberless_enum(obj):
    try:
        return isinstance(obj, enum.EnumMeta) and not obj._member_map_
    except Exception:
        return False


# --- sandbox files ----------------------------------------------------------------


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


# --- per-file pre-pass: scopes and bindings -----------------------------------------


class Scope:
    __slots__ = ("kind", "parent", "node", "bindings", "globals", "nonlocals", "stars")

    def __init__(self, kind, parent, node):
        self.kind = kind  # "module", "class", "function" (also lambdas and comprehensions)
        self.parent = parent
        self.node = node
        self.bindings = {}
        self.globals = set()
        self.nonlocals = set()
        self.stars = []  # sandbox modules star-imported here

    def module(self):
        s = self
        while s.parent is not None:
            s = s.parent
        return s


class Binding:
    __slots__ = ("kind", "main", "data")

    def __init__(self, kind, main, data=None):
        self.kind = kind  # "import", "from-sandbox", "class", "other"
        self.main = main  # bound inside a never-run main block
        self.data = data  # Ref | (module, name) | (ClassDef, Scope)


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


def _is_main_guard(test):
    if not isinstance(test, ast.Compare) or len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    a, b = test.left, test.comparators[0]
    for x, y in ((a, b), (b, a)):
        if isinstance(x, ast.Name) and x.id == "__name__" and isinstance(y, ast.Constant) and y.value == "__main__":
            return True
    return False


class Binder:
    """Pre-pass: builds the scopes of one file, binds names, resolves imports."""

    def __init__(self, analysis, fi):
        self.an = analysis
        self.fi = fi
        # Expressions only bind names through lambdas, comprehensions and
        # walrus; an expression whose lines show none of them is not
        # descended. cum[i] counts such lines up to line i.
        cum = [0]
        for line in _LINE_SPLIT_RE.split(fi.source):
            cum.append(cum[-1] + (1 if _SCOPE_HINT_RE.search(line) else 0))
        self.cum = cum

    def run(self):
        tree = self.fi.tree
        scope = Scope("module", None, tree)
        self.fi.module_scope = scope
        self.fi.scopes[id(tree)] = scope
        self.stmts(tree.body, scope, False, True)

    def bind(self, scope, name, binding):
        s = scope
        if s.kind == "function":
            if name in s.globals:
                s = s.module()
            elif name in s.nonlocals:
                p = s.parent
                while p is not None and not (p.kind == "function" and name in p.bindings):
                    p = p.parent
                if p is None:
                    return
                s = p
        s.bindings.setdefault(name, []).append(binding)

    def hinted(self, node):
        cum = self.cum
        last = len(cum) - 1
        start = min(max(node.lineno, 1), last)
        end = min(max(getattr(node, "end_lineno", None) or start, start), last)
        return cum[end] - cum[start - 1] > 0

    def stmts(self, body, scope, main, top=False):
        for node in body:
            self.stmt(node, scope, main, top)

    def stmt(self, node, scope, main, top):
        t = type(node)
        if t is ast.FunctionDef or t is ast.AsyncFunctionDef:
            self.bind(scope, node.name, Binding("other", main))
            for d in node.decorator_list:
                self.expr(d, scope, main)
            self.arguments_outer(node.args, scope, main)
            if node.returns is not None:
                self.expr(node.returns, scope, main)
            inner = Scope("function", scope, node)
            self.fi.scopes[id(node)] = inner
            self.params(node.args, inner, main)
            self.stmts(node.body, inner, main)
        elif t is ast.ClassDef:
            for d in node.decorator_list:
                self.expr(d, scope, main)
            for b in node.bases:
                self.expr(b, scope, main)
            for k in node.keywords:
                self.expr(k.value, scope, main)
            inner = Scope("class", scope, node)
            self.fi.scopes[id(node)] = inner
            self.stmts(node.body, inner, main)
            self.bind(scope, node.name, Binding("class", main, (node, scope)))
        elif t is ast.Import or t is ast.ImportFrom:
            self.an.bind_import(self, node, scope, main)
        elif t is ast.Global:
            scope.globals.update(node.names)
        elif t is ast.Nonlocal:
            scope.nonlocals.update(node.names)
        elif t is ast.If:
            self.expr(node.test, scope, main)
            guard = top and policy.MAIN_GUARD_SKIPS_BODY and _is_main_guard(node.test)
            self.stmts(node.body, scope, main or guard)
            self.stmts(node.orelse, scope, main)
        elif t is ast.For or t is ast.AsyncFor:
            self.target(node.target, scope, main)
            self.expr(node.iter, scope, main)
            self.stmts(node.body, scope, main)
            self.stmts(node.orelse, scope, main)
        elif t is ast.While:
            self.expr(node.test, scope, main)
            self.stmts(node.body, scope, main)
            self.stmts(node.orelse, scope, main)
        elif t is ast.With or t is ast.AsyncWith:
            for item in node.items:
                self.expr(item.context_expr, scope, main)
                if item.optional_vars is not None:
                    self.target(item.optional_vars, scope, main)
            self.stmts(node.body, scope, main)
        elif t is ast.Try or t is ast.TryStar:
            self.stmts(node.body, scope, main)
            for h in node.handlers:
                if h.type is not None:
                    self.expr(h.type, scope, main)
                if h.name:
                    self.bind(scope, h.name, Binding("other", main))
                self.stmts(h.body, scope, main)
            self.stmts(node.orelse, scope, main)
            self.stmts(node.finalbody, scope, main)
        elif t is ast.Match:
            self.expr(node.subject, scope, main)
            for case in node.cases:
                self.pattern(case.pattern, scope, main)
                if case.guard is not None:
                    self.expr(case.guard, scope, main)
                self.stmts(case.body, scope, main)
        elif t is ast.Assign:
            for tg in node.targets:
                self.target(tg, scope, main)
            self.expr(node.value, scope, main)
        elif t is ast.AugAssign or t is ast.AnnAssign:
            self.target(node.target, scope, main)
            if node.value is not None:
                self.expr(node.value, scope, main)
            if t is ast.AnnAssign:
                self.expr(node.annotation, scope, main)
        elif t is ast.Delete:
            for tg in node.targets:
                self.target(tg, scope, main)
        else:  # Return, Expr, Raise, Assert, Pass, Break, Continue, unknown
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    self.stmt(child, scope, main, False)
                elif isinstance(child, ast.expr):
                    self.expr(child, scope, main)

    def arguments_outer(self, args, scope, main):
        for d in args.defaults:
            self.expr(d, scope, main)
        for d in args.kw_defaults:
            if d is not None:
                self.expr(d, scope, main)
        for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
            if a is not None and a.annotation is not None:
                self.expr(a.annotation, scope, main)

    def params(self, args, inner, main):
        for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
            if a is not None:
                inner.bindings.setdefault(a.arg, []).append(Binding("other", main))

    def target(self, node, scope, main):
        t = type(node)
        if t is ast.Name:
            self.bind(scope, node.id, Binding("other", main))
        elif t is ast.Tuple or t is ast.List:
            for e in node.elts:
                self.target(e, scope, main)
        elif t is ast.Starred:
            self.target(node.value, scope, main)
        else:
            self.expr(node, scope, main)

    def pattern(self, p, scope, main):
        name = getattr(p, "name", None)
        if name:
            self.bind(scope, name, Binding("other", main))
        rest = getattr(p, "rest", None)
        if rest:
            self.bind(scope, rest, Binding("other", main))
        for child in ast.iter_child_nodes(p):
            if isinstance(child, ast.pattern):
                self.pattern(child, scope, main)

    def expr(self, node, scope, main):
        if not self.hinted(node):
            return
        self._expr(node, scope, main)

    def _expr(self, node, scope, main):
        t = type(node)
        if t is ast.Lambda:
            for d in node.args.defaults:
                self._expr(d, scope, main)
            for d in node.args.kw_defaults:
                if d is not None:
                    self._expr(d, scope, main)
            inner = Scope("function", scope, node)
            self.fi.scopes[id(node)] = inner
            self.params(node.args, inner, main)
            self._expr(node.body, inner, main)
        elif t in (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp):
            self._expr(node.generators[0].iter, scope, main)
            inner = Scope("function", scope, node)
            self.fi.scopes[id(node)] = inner
            for i, gen in enumerate(node.generators):
                self._target(gen.target, inner, main)
                if i:
                    self._expr(gen.iter, inner, main)
                for cond in gen.ifs:
                    self._expr(cond, inner, main)
            if t is ast.DictComp:
                self._expr(node.key, inner, main)
                self._expr(node.value, inner, main)
            else:
                self._expr(node.elt, inner, main)
        elif t is ast.NamedExpr:
            s = scope
            while s.kind == "function" and isinstance(s.node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
                s = s.parent
            self.bind(s, node.target.id, Binding("other", main))
            self._expr(node.value, scope, main)
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self._expr(child, scope, main)
                elif isinstance(child, (ast.keyword, ast.comprehension, ast.arguments)):
                    for c in ast.iter_child_nodes(child):
                        if isinstance(c, ast.expr):
                            self._expr(c, scope, main)

    def _target(self, node, scope, main):
        t = type(node)
        if t is ast.Name:
            scope.bindings.setdefault(node.id, []).append(Binding("other", main))
        elif t is ast.Tuple or t is ast.List:
            for e in node.elts:
                self._target(e, scope, main)
        elif t is ast.Starred:
            self._target(node.value, scope, main)
        else:
            self._expr(node, scope, main)


# --- the check proper ---------------------------------------------------------------

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_LITERAL_WRAPPERS = frozenset({"Literal", "Annotated"})


class Walker:
    def __init__(self, analysis, fi):
        self.an = analysis
        self.lib = analysis.lib
        self.fi = fi
        self.v = fi.violations
        self.scope = fi.module_scope
        self.pos = None  # (line, col) override inside string annotations
        self.in_annotation = False
        self.check_undefined = True
        self.annotation_depth = 0
        self._expr = {
            ast.Name: self.x_name,
            ast.Attribute: self.x_attribute,
            ast.Call: self.x_call,
            ast.Constant: self.x_constant,
            ast.BinOp: self.x_binop,
            ast.UnaryOp: self.x_unaryop,
            ast.BoolOp: self.x_boolop,
            ast.Compare: self.x_compare,
            ast.IfExp: self.x_ifexp,
            ast.Subscript: self.x_subscript,
            ast.Tuple: self.x_seq,
            ast.List: self.x_seq,
            ast.Set: self.x_seq,
            ast.Dict: self.x_dict,
            ast.JoinedStr: self.x_joinedstr,
            ast.FormattedValue: self.x_formatted,
            ast.Lambda: self.x_lambda,
            ast.ListComp: self.x_comp,
            ast.SetComp: self.x_comp,
            ast.GeneratorExp: self.x_comp,
            ast.DictComp: self.x_comp,
            ast.NamedExpr: self.x_namedexpr,
            ast.Starred: self.x_starred,
            ast.Slice: self.x_slice,
            ast.Await: self.x_value,
            ast.Yield: self.x_value,
            ast.YieldFrom: self.x_value,
        }
        self._stmt = {
            ast.FunctionDef: self.s_function,
            ast.AsyncFunctionDef: self.s_function,
            ast.ClassDef: self.s_class,
            ast.Return: self.s_value,
            ast.Expr: self.s_value,
            ast.Delete: self.s_delete,
            ast.Assign: self.s_assign,
            ast.AugAssign: self.s_augassign,
            ast.AnnAssign: self.s_annassign,
            ast.For: self.s_for,
            ast.AsyncFor: self.s_for,
            ast.While: self.s_while,
            ast.If: self.s_if,
            ast.With: self.s_with,
            ast.AsyncWith: self.s_with,
            ast.Match: self.s_match,
            ast.Raise: self.s_raise,
            ast.Try: self.s_try,
            ast.TryStar: self.s_try,
            ast.Assert: self.s_assert,
            ast.Import: self.s_import,
            ast.ImportFrom: self.s_import,
            ast.Global: self.s_global,
            ast.Nonlocal: self.s_global,
            ast.Pass: self.s_nothing,
            ast.Break: self.s_nothing,
            ast.Continue: self.s_nothing,
        }

    # -- reporting

    def report(self, rule, node, message):
        if self.pos is not None:
            line, col = self.pos
            message += " (in a string annotation)"
        else:
            line, col = getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
        self.v.add(rule, line, col, message)

    def unknown(self, node):
        self.report("unknown-node", node, f"{type(node).__name__} is not supported by the checker")

    # -- statements

    def run(self):
        self.stmts(self.fi.tree.body, top=True)

    def stmts(self, body, top=False):
        for node in body:
            if top and type(node) is ast.If and policy.MAIN_GUARD_SKIPS_BODY and _is_main_guard(node.test):
                self.x(node.test, TEST)
                self.main_block(node.body)
                self.stmts(node.orelse)
                continue
            h = self._stmt.get(type(node))
            if h is None:
                self.unknown(node)
                self.generic(node)
            else:
                h(node)

    def generic(self, node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                self.stmts([child])
            elif isinstance(child, ast.expr):
                self.x(child, VALUE)

    def main_block(self, body):
        # The body never runs; only dunder bindings are checked (see policy).
        for stmt in body:
            for node in ast.walk(stmt):
                t = type(node)
                if t is ast.Name and not isinstance(node.ctx, ast.Load):
                    self.check_bind(node.id, node, "function")
                elif t in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
                    self.check_bind(node.name, node, "function")
                elif t is ast.arg:
                    self.check_bind(node.arg, node, "function")
                elif t is ast.alias:
                    self.check_bind(node.asname or node.name.partition(".")[0], node, "function")
                elif t in (ast.Global, ast.Nonlocal):
                    for n in node.names:
                        self.check_bind(n, node, "function")
                elif t is ast.ExceptHandler and node.name:
                    self.check_bind(node.name, node, "function")
                elif t in (ast.MatchAs, ast.MatchStar) and node.name:
                    self.check_bind(node.name, node, "function")
                elif t is ast.MatchMapping and node.rest:
                    self.check_bind(node.rest, node, "function")
                elif t is ast.Attribute and not isinstance(node.ctx, ast.Load) and is_dunder(node.attr):
                    self.report("dunder-attribute", node, f"assigning '{node.attr}' is not allowed")

    def s_nothing(self, node):
        pass

    def s_value(self, node):
        if node.value is not None:
            self.x(node.value, VALUE)

    def enter(self, node):
        prev = self.scope
        self.scope = self.fi.scopes.get(id(node)) or Scope("function", prev, node)
        return prev

    def s_function(self, node):
        self.check_bind(node.name, node, self.scope.kind, definition=True)
        for d in node.decorator_list:
            self.x(d, DECORATOR)
        self.arguments(node.args)
        if node.returns is not None:
            self.annotation(node.returns)
        prev = self.enter(node)
        self.params(node.args)
        self.stmts(node.body)
        self.scope = prev

    def arguments(self, args):
        for d in args.defaults:
            self.x(d, VALUE)
        for d in args.kw_defaults:
            if d is not None:
                self.x(d, VALUE)
        for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
            if a is not None and a.annotation is not None:
                self.annotation(a.annotation)

    def params(self, args):
        for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
            if a is not None:
                self.check_bind(a.arg, a, "function")

    def s_class(self, node):
        self.check_bind(node.name, node, self.scope.kind, definition=True)
        for d in node.decorator_list:
            self.x(d, DECORATOR)
        for b in node.bases:
            self.x(b, CLASS_BASE)
        self.keyword_names(node.keywords)
        for k in node.keywords:
            if k.arg is None:
                self.report("dynamic-class", k.value, "class keywords must be written out, not passed with **")
                self.x(k.value, VALUE)
            else:
                self.x(k.value, METACLASS if k.arg == "metaclass" else VALUE)
        prev = self.enter(node)
        self.stmts(node.body)
        self.scope = prev

    def s_delete(self, node):
        for t in node.targets:
            self.target(t, DEL)

    def s_assign(self, node):
        self.x(node.value, VALUE)
        for t in node.targets:
            self.target(t, STORE)
            if type(t) is ast.Name and self.scope.kind == "class":
                self.class_special(t.id, node.value, t)

    def s_augassign(self, node):
        self.x(node.value, VALUE)
        self.target(node.target, STORE)

    def s_annassign(self, node):
        self.annotation(node.annotation)
        if node.value is not None:
            self.x(node.value, VALUE)
        self.target(node.target, STORE)
        if type(node.target) is ast.Name and self.scope.kind == "class" and node.value is not None:
            self.class_special(node.target.id, node.value, node.target)

    def class_special(self, name, value, node):
        if name == "__match_args__":
            elts = value.elts if type(value) in (ast.Tuple, ast.List) else None
            if elts is None:
                self.report("dynamic-attribute", value, "__match_args__ must be a literal tuple of attribute names")
                return
            for e in elts:
                self.literal_attr(e, "__match_args__")
        elif name == "__slots__":
            if type(value) is ast.Constant and isinstance(value.value, str):
                elts = [value]
            elif type(value) in (ast.Tuple, ast.List, ast.Set):
                elts = value.elts
            elif type(value) is ast.Dict:
                elts = value.keys
            else:
                self.report("dynamic-attribute", value, "__slots__ must be literal strings")
                return
            for e in elts:
                if not (type(e) is ast.Constant and isinstance(e.value, str)):
                    self.report("dynamic-attribute", e if e is not None else value, "__slots__ must be literal strings")
                elif is_dunder(nfkc(e.value)) and nfkc(e.value) not in policy.SLOT_DUNDERS_ALLOWED:
                    self.report("dunder-definition", e, f"slot '{e.value}' is not allowed")

    def s_for(self, node):
        self.x(node.iter, VALUE)
        self.target(node.target, STORE)
        self.stmts(node.body)
        self.stmts(node.orelse)

    def s_while(self, node):
        self.x(node.test, TEST)
        self.stmts(node.body)
        self.stmts(node.orelse)

    def s_if(self, node):
        self.x(node.test, TEST)
        self.stmts(node.body)
        self.stmts(node.orelse)

    def s_with(self, node):
        for item in node.items:
            self.x(item.context_expr, VALUE)
            if item.optional_vars is not None:
                self.target(item.optional_vars, STORE)
        self.stmts(node.body)

    def s_raise(self, node):
        if node.exc is not None:
            self.x(node.exc, VALUE)
        if node.cause is not None:
            self.x(node.cause, VALUE)

    def s_try(self, node):
        self.stmts(node.body)
        for h in node.handlers:
            if type(h) is not ast.ExceptHandler:
                self.unknown(h)
                continue
            if h.type is not None:
                self.x(h.type, ISINSTANCE)
            if h.name:
                self.check_bind(h.name, h, self.scope.kind)
            self.stmts(h.body)
        self.stmts(node.orelse)
        self.stmts(node.finalbody)

    def s_assert(self, node):
        self.x(node.test, TEST)
        if node.msg is not None:
            self.x(node.msg, VALUE)

    def s_import(self, node):
        # Import violations were reported by the Binder (it resolves imports).
        if self.scope.kind == "class":
            # The module (or function) would become a class attribute, out of
            # reach of module.attr resolution: A.np.load.
            self.report("module-alias", node, "imports inside a class body are not allowed; import at module or function level")
        for a in node.names:
            if a.name != "*":
                self.check_bind(a.asname or a.name.partition(".")[0], a, self.scope.kind)

    def s_global(self, node):
        for n in node.names:
            if is_dunder(n):
                self.report("dunder-assignment", node, f"declaring '{n}' {type(node).__name__.lower()} is not allowed")

    def s_match(self, node):
        self.x(node.subject, VALUE)
        for case in node.cases:
            self.pattern(case.pattern)
            if case.guard is not None:
                self.x(case.guard, TEST)
            self.stmts(case.body)

    def pattern(self, p):
        t = type(p)
        if t is ast.MatchValue:
            self.x(p.value, COMPARE)
        elif t is ast.MatchSingleton:
            pass
        elif t is ast.MatchSequence or t is ast.MatchOr:
            for q in p.patterns:
                self.pattern(q)
        elif t is ast.MatchMapping:
            for k in p.keys:
                self.x(k, COMPARE)
            for q in p.patterns:
                self.pattern(q)
            if p.rest:
                self.check_bind(p.rest, p, self.scope.kind)
        elif t is ast.MatchClass:
            self.x(p.cls, ISINSTANCE)
            for q in p.patterns:
                self.pattern(q)
            for attr in p.kwd_attrs:
                self.attr_name(attr, p, store=False)
            for q in p.kwd_patterns:
                self.pattern(q)
        elif t is ast.MatchStar:
            if p.name:
                self.check_bind(p.name, p, self.scope.kind)
        elif t is ast.MatchAs:
            if p.pattern is not None:
                self.pattern(p.pattern)
            if p.name:
                self.check_bind(p.name, p, self.scope.kind)
        else:
            self.unknown(p)

    def target(self, node, ctx):
        t = type(node)
        if t is ast.Name:
            self.check_bind(node.id, node, self.scope.kind)
        elif t is ast.Tuple or t is ast.List:
            for e in node.elts:
                self.target(e, ctx)
        elif t is ast.Starred:
            self.target(node.value, ctx)
        elif t is ast.Attribute:
            self.x_attribute(node, ctx)
        elif t is ast.Subscript:
            self.x(node.value, VALUE)
            self.x(node.slice, VALUE)
        else:
            self.x(node, VALUE)

    def check_bind(self, name, node, scope_kind, definition=False):
        if not is_dunder(name):
            return
        if scope_kind == "class":
            if name in policy.SPECIAL_METHODS or (not definition and name in policy.CLASS_DUNDER_ASSIGNMENTS):
                return
            self.report("dunder-definition", node, f"defining '{name}' in a class is not allowed" + _special_hint(name))
        elif scope_kind == "module" and name in policy.MODULE_DUNDER_ASSIGNMENTS:
            return
        else:
            self.report("dunder-assignment", node, f"binding the name '{name}' is not allowed: dunder names belong to the interpreter")

    def annotation(self, node):
        prev = self.in_annotation
        self.in_annotation = True
        self.x(node, VALUE)
        self.in_annotation = prev

    # -- expressions

    def x(self, node, ctx):
        h = self._expr.get(type(node))
        if h is None:
            self.unknown(node)
            self.generic(node)
            return None
        return h(node, ctx)

    def x_value(self, node, ctx):
        if node.value is not None:
            self.x(node.value, VALUE)

    def x_constant(self, node, ctx):
        if self.in_annotation and isinstance(node.value, str):
            self.string_annotation(node)

    def string_annotation(self, node):
        # typing.get_type_hints (and functools.singledispatch through it)
        # evaluates string annotations as code: check them as code.
        if self.annotation_depth >= 3 or len(node.value) > 10000:
            return
        try:
            tree = ast.parse(node.value.strip(), mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return
        # get_type_hints evaluates them in the module's namespace.
        prev = (self.pos, self.check_undefined, self.scope)
        if self.pos is None:
            self.pos = (node.lineno, node.col_offset)
        self.check_undefined = False
        self.scope = self.fi.module_scope
        self.annotation_depth += 1
        try:
            self.x(tree.body, VALUE)
        finally:
            self.annotation_depth -= 1
            self.pos, self.check_undefined, self.scope = prev

    def x_binop(self, node, ctx):
        self.x(node.left, VALUE)
        self.x(node.right, VALUE)

    def x_unaryop(self, node, ctx):
        self.x(node.operand, TEST if type(node.op) is ast.Not else VALUE)

    def x_boolop(self, node, ctx):
        for v in node.values:
            self.x(v, TEST if ctx == TEST else VALUE)

    def x_compare(self, node, ctx):
        self.x(node.left, COMPARE)
        for c in node.comparators:
            self.x(c, COMPARE)

    def x_ifexp(self, node, ctx):
        self.x(node.test, TEST)
        inner = ctx if ctx in (TEST, COMPARE) else VALUE
        self.x(node.body, inner)
        self.x(node.orelse, inner)

    def x_subscript(self, node, ctx):
        base = node.value
        self.x(base, VALUE)
        if self.in_annotation and _tail_name(base) in _LITERAL_WRAPPERS:
            # Literal[...] values and Annotated[...] metadata are never evaluated.
            prev = self.in_annotation
            sl = node.slice
            elts = sl.elts if type(sl) is ast.Tuple else [sl]
            if _tail_name(base) == "Annotated" and elts:
                self.x(elts[0], VALUE)
                elts = elts[1:]
            self.in_annotation = False
            for e in elts:
                self.x(e, VALUE)
            self.in_annotation = prev
        else:
            self.x(node.slice, VALUE)

    def x_seq(self, node, ctx):
        inner = ISINSTANCE if ctx == ISINSTANCE and type(node) is ast.Tuple else VALUE
        for e in node.elts:
            self.x(e, inner)

    def x_dict(self, node, ctx):
        for k in node.keys:
            if k is not None:
                self.x(k, VALUE)
        for v in node.values:
            self.x(v, VALUE)

    def x_joinedstr(self, node, ctx):
        for v in node.values:
            self.x(v, VALUE)

    def x_formatted(self, node, ctx):
        self.x(node.value, VALUE)
        if node.format_spec is not None:
            self.x(node.format_spec, VALUE)

    def x_lambda(self, node, ctx):
        self.arguments(node.args)
        prev = self.enter(node)
        self.params(node.args)
        self.x(node.body, VALUE)
        self.scope = prev

    def x_comp(self, node, ctx):
        gens = node.generators
        self.x(gens[0].iter, VALUE)
        prev = self.enter(node)
        for i, gen in enumerate(gens):
            if type(gen) is not ast.comprehension:
                self.unknown(gen)
                continue
            if i:
                self.x(gen.iter, VALUE)
            self.target(gen.target, STORE)
            for cond in gen.ifs:
                self.x(cond, TEST)
        if type(node) is ast.DictComp:
            self.x(node.key, VALUE)
            self.x(node.value, VALUE)
        else:
            self.x(node.elt, VALUE)
        self.scope = prev

    def x_namedexpr(self, node, ctx):
        self.x(node.value, VALUE)
        s = self.scope
        while s.kind == "function" and isinstance(s.node, _COMPREHENSIONS):
            s = s.parent
        self.check_bind(node.target.id, node.target, s.kind if s.kind != "module" else "function")

    def x_starred(self, node, ctx):
        if isinstance(node.ctx, ast.Load):
            self.x(node.value, VALUE)
        else:
            self.target(node.value, STORE)

    def x_slice(self, node, ctx):
        for part in (node.lower, node.upper, node.step):
            if part is not None:
                self.x(part, VALUE)

    # -- names

    def x_name(self, node, ctx):
        if not isinstance(node.ctx, ast.Load):
            self.check_bind(node.id, node, self.scope.kind)
            return None
        n = node.id
        if is_dunder(n):
            if n in policy.DUNDER_NAMES_READABLE:
                return None
            if self.scope.kind == "class" and n in self.scope.bindings and n in policy.SPECIAL_METHODS:
                return None  # __repr__ = __str__ in a class body
            if n in policy.BANNED_BUILTINS:
                self.report("banned-name", node, f"'{n}' is not allowed: {policy.BANNED_BUILTINS[n]}")
            else:
                self.report("dunder-name", node, f"the name '{n}' is not allowed: dunder names belong to the interpreter")
            return _DEAD
        ref = self.an.lookup_ref(self.fi, n, self.scope, node, self)
        if ref is None:
            return None
        self.use(ref, ctx, node)
        return ref

    def use(self, ref, ctx, node):
        """Checks that what an expression statically is may be used in this
        context (a module only as module.attr, getattr only called, ...)."""
        k = ref.kind
        if k == MODULE or k == SANDBOX:
            if ctx not in (ATTR_BASE, TEST, COMPARE, DEL):
                self.report("module-alias", node, f"the module '{ref.name}' may only be used as {ref.name.rpartition('.')[2]}.name; it cannot be assigned, passed or returned")
        elif k == BUILTIN:
            n = ref.name
            if n in policy.DYNAMIC_ATTRIBUTE_BUILTINS:
                if ctx != CALLEE:
                    self.report("dynamic-attribute", node, f"'{n}' may only be called directly, with a literal attribute name")
            elif n == "type":
                if ctx == CLASS_BASE:
                    self.report("dynamic-class", node, "defining metaclasses is not allowed")
                elif ctx not in (CALLEE, ISINSTANCE, COMPARE, ATTR_BASE, METACLASS):
                    self.report("dynamic-class", node, "'type' may only be called with one argument or used in isinstance")
        elif k == OBJECT:
            obj = ref.obj
            if self.lib.restricted(obj) is not None:
                if ctx not in (CALLEE, DECORATOR):
                    self.report("dynamic-attribute", node, f"'{ref.name}' may only be called directly")
            elif _is_metaclass(obj):
                if ctx not in (METACLASS, ISINSTANCE, COMPARE, ATTR_BASE, CALLEE):
                    self.report("dynamic-class", node, f"the metaclass '{ref.name}' may only be used as metaclass=")
            elif _is_memberless_enum(obj):
                if ctx not in (CLASS_BASE, ISINSTANCE, COMPARE, ATTR_BASE, CALLEE, DECORATOR):
                    self.report("dynamic-class", node, f"'{ref.name}' may only be subclassed or called, not used as a value")
        elif k == USER_ENUM:
            if ctx not in (CLASS_BASE, ISINSTANCE, COMPARE, ATTR_BASE, CALLEE, DECORATOR):
                self.report("dynamic-class", node, f"the member-less enum '{ref.name}' may only be subclassed or called, not used as a value")
        elif k == TYPE_RESULT:
            if ctx not in (ATTR_BASE, COMPARE, CALLEE, ISINSTANCE, TEST):
                self.report("dynamic-class", node, "the result of type(x) may only be compared, called or used as type(x).name; it may be a metaclass")
        elif k == GETATTR_METHOD:
            if ctx != CALLEE:
                self.report("dynamic-attribute", node, f"'{ref.name}' may only be called directly, with a literal attribute name")
        elif k == STR_FORMAT:
            if ctx != CALLEE:
                self.report("dynamic-format", node, f"str.{ref.name} may only be called directly with a literal template")
        elif k == APPLIED:
            if ctx not in (CALLEE, DECORATOR):
                self.report("dynamic-attribute", node, f"the result of {ref.name}() must be applied at once (as a decorator); its arguments can be changed afterwards")

    # -- attributes

    def attr_name(self, attr, node, store):
        """Checks an attribute name that is read or written on any object.
        Returns False when it was reported."""
        if is_dunder(attr):
            if not store and attr in policy.DUNDER_ATTRIBUTES_READABLE:
                return True
            if not store and attr not in policy.SPECIAL_METHODS_DEFINE_ONLY and (
                    attr in policy.SPECIAL_METHODS or attr in policy.GETATTR_SPECIAL_METHODS):
                return True
            verb = "writing" if store else "reading"
            self.report("dunder-attribute", node, f"{verb} the attribute '{attr}' is not allowed: dunder attributes reach interpreter internals" + _dunder_hint(attr))
            return False
        if attr in policy.INTERNAL_ATTRIBUTES:
            self.report("internal-attribute", node, f"the attribute '{attr}' is not allowed: {policy.INTERNAL_MESSAGE}")
            return False
        reason = policy.BANNED_ATTRIBUTES.get(attr)
        if reason is not None:
            self.report("banned-attribute", node, f"the attribute '{attr}' is not allowed: {reason}")
            return False
        return True

    def x_attribute(self, node, ctx):
        attr = node.attr
        store = ctx in (STORE, DEL)
        base_node = node.value
        base = self.x(base_node, ATTR_BASE)
        if not self.attr_name(attr, node, store):
            return _DEAD
        if is_dunder(attr):
            if base is not None and base.kind in (MODULE, SANDBOX) and attr not in policy.DUNDER_ATTRIBUTES_READABLE:
                # np.__getattr__("testing"), np.__getattribute__("load"): a
                # module's attributes are reached by name only, so they resolve.
                self.report("dunder-attribute", node, f"'{attr}' of a module is not allowed; use {base.name.rpartition('.')[2]}.name")
                return _DEAD
            if base is not None and base.kind in (BUILTIN, OBJECT, TYPE_RESULT) and attr not in policy.DUNDER_ATTRIBUTES_READABLE:
                if (base.kind == BUILTIN and base.name == "type") or base.kind == TYPE_RESULT or (base.kind == OBJECT and _is_metaclass(base.obj)):
                    self.report("dynamic-class", node, f"'{attr}' of a metaclass creates classes; use a class statement")
                    return _DEAD
            if attr in policy.GETATTR_SPECIAL_METHODS:
                unbound = base is not None and (
                    (base.kind == BUILTIN and base.name == "object" and not base.extra)
                    or base.kind == OBJECT and isinstance(base.obj, type)
                    or base.extra == "class"
                )
                ref = Ref(GETATTR_METHOD, attr, extra="unbound" if unbound else "bound")
                self.use(ref, ctx, node)
                return ref
            return None
        if attr in policy.FORMAT_METHODS and (base is None or base.kind not in (MODULE, SANDBOX, OBJECT)):
            # (numpy.lib.format is a module, not str.format: it resolves below)
            if type(base_node) is ast.Constant and isinstance(base_node.value, str):
                self.template(base_node.value, base_node)
                return None
            if base is not None and base.kind == BUILTIN and base.name == "str":
                ref = Ref(STR_FORMAT, attr)
                self.use(ref, ctx, node)
                return ref
            if attr == "format_map" or ctx == CALLEE:
                self.report("dynamic-format", node, f"'.{attr}()' needs a literal template; use an f-string or format(value, spec)")
                return _DEAD
            return None
        if base is None or base.kind == DEAD:
            return None
        ref, problem = self.an.resolve_attr(base, attr)
        if problem is not None:
            self.report(problem[0], node, problem[1])
            return _DEAD
        if ref is not None and not store:
            self.use(ref, ctx, node)
        return ref

    def template(self, s, node):
        for field in _template_fields(s):
            if "." in field or "[" in field:
                self.report("format-traversal", node, f"format field '{{{field}}}' reads attributes or items; pass the values themselves")
                return

    # -- calls

    def x_call(self, node, ctx):
        func = self.x(node.func, CALLEE)
        args, kws = node.args, node.keywords
        starred = any(type(a) is ast.Starred for a in args) or any(k.arg is None for k in kws)
        self.keyword_names(kws)
        result = None
        if func is not None:
            k = func.kind
            if k == BUILTIN:
                n = func.name
                if n in policy.DYNAMIC_ATTRIBUTE_BUILTINS:
                    if len(args) < 2 or starred:
                        self.report("dynamic-attribute", node, f"{n}() needs the object and a literal attribute name")
                    elif n == "hasattr":
                        if not (type(args[1]) is ast.Constant and isinstance(args[1].value, str)):
                            self.report("dynamic-attribute", args[1], "hasattr() needs a literal attribute name")
                    else:
                        self.literal_attr(args[1], n + "()")
                elif n == "type":
                    if len(args) != 1 or kws or starred:
                        self.report("dynamic-class", node, "type() with three arguments creates classes; use a class statement")
                    else:
                        result = Ref(TYPE_RESULT)
                elif n in ("isinstance", "issubclass"):
                    for i, a in enumerate(args):
                        self.x(a, ISINSTANCE if i == 1 else VALUE)
                    for kw in kws:
                        self.x(kw.value, VALUE)
                    return None
                elif n == "super":
                    result = Ref(SUPER)
            elif k == OBJECT:
                spec = self.lib.restricted(func.obj)
                if spec is not None:
                    npos, banned_kws, applied = spec[1]
                    if starred or len(args) > npos or any(kw.arg in banned_kws for kw in kws):
                        self.report("dynamic-attribute", node, f"{spec[0]}() may only be called with its default assigned/updated attributes")
                    if applied:
                        result = Ref(APPLIED, spec[0])
                elif _is_metaclass(func.obj):
                    self.report("dynamic-class", node, f"calling the metaclass '{func.name}' creates classes; use a class statement")
                elif _is_memberless_enum(func.obj):
                    self.enum_call(node, func.name, starred)
            elif k == USER_ENUM:
                self.enum_call(node, func.name, starred)
            elif k == TYPE_RESULT:
                if starred or len(args) == 3:
                    self.report("dynamic-class", node, "calling type(x) with three arguments may create a class; use a class statement")
            elif k == GETATTR_METHOD:
                index = 1 if func.extra == "unbound" else 0
                if starred or len(args) <= index:
                    self.report("dynamic-attribute", node, f"{func.name}() needs a literal attribute name")
                else:
                    self.literal_attr(args[index], func.name + "()")
            elif k == STR_FORMAT:
                if not args or type(args[0]) is not ast.Constant or not isinstance(args[0].value, str):
                    self.report("dynamic-format", node, f"str.{func.name}() needs a literal template")
                else:
                    self.template(args[0].value, args[0])
        for a in args:
            self.x(a, VALUE)
        for kw in kws:
            self.x(kw.value, VALUE)
        if result is not None:
            self.use(result, ctx, node)
        return result

    def keyword_names(self, kws):
        # f(__array_interface__=...): keyword names become attribute names in
        # any callee that stores **kwargs on an object.
        for kw in kws:
            if kw.arg is not None and is_dunder(kw.arg):
                self.report("dunder-assignment", kw, f"the keyword argument '{kw.arg}' is not allowed: dunder names belong to the interpreter")

    def enum_call(self, node, name, starred):
        # Enum("Name", names): the functional API turns strings into class
        # attributes, dunders included (__array_interface__ is raw memory).
        args = node.args
        names = args[1] if len(args) > 1 else next((kw.value for kw in node.keywords if kw.arg == "names"), None)
        if starred:
            self.report("dynamic-class", node, f"{name}() may not take * or ** arguments")
            return
        if names is None:
            return
        msg = f"{name}() needs member names written as literals that do not start with '_'"
        t = type(names)
        if t is ast.Constant and isinstance(names.value, str):
            members = [(m, names) for m in names.value.replace(",", " ").split()]
        elif t in (ast.Tuple, ast.List):
            members = []
            for e in names.elts:
                if type(e) is ast.Constant and isinstance(e.value, str):
                    members.append((e.value, e))
                elif type(e) in (ast.Tuple, ast.List) and e.elts and type(e.elts[0]) is ast.Constant and isinstance(e.elts[0].value, str):
                    members.append((e.elts[0].value, e.elts[0]))
                else:
                    self.report("dynamic-class", e, msg)
        elif t is ast.Dict:
            members = []
            for key in names.keys:
                if key is not None and type(key) is ast.Constant and isinstance(key.value, str):
                    members.append((key.value, key))
                else:
                    self.report("dynamic-class", key or names, msg)
        else:
            self.report("dynamic-class", names, msg)
            return
        for m, where in members:
            if m.startswith("_") or nfkc(m).startswith("_"):
                self.report("dynamic-class", where, msg)

    def literal_attr(self, node, what):
        if not (type(node) is ast.Constant and isinstance(node.value, str)):
            self.report("dynamic-attribute", node, f"{what} needs a literal attribute name, not a computed one")
            return
        raw = node.value
        for s in (raw, nfkc(raw)):
            if s.startswith("_"):
                self.report("dynamic-attribute", node, f"{what} may not name '{raw}': names starting with '_' are not reachable")
                return
            if s in policy.INTERNAL_ATTRIBUTES:
                self.report("internal-attribute", node, f"{what} may not name '{raw}': {policy.INTERNAL_MESSAGE}")
                return
            if s in policy.BANNED_ATTRIBUTES or s in policy.BANNED_BUILTINS:
                reason = policy.BANNED_ATTRIBUTES.get(s) or policy.BANNED_BUILTINS.get(s)
                self.report("banned-attribute", node, f"{what} may not name '{raw}': {reason}")
                return
            if s in policy.FORMAT_METHODS:
                self.report("dynamic-format", node, f"{what} may not name '{raw}': call it on a literal template")
                return


def _tail_name(node):
    if type(node) is ast.Name:
        return node.id
    if type(node) is ast.Attribute:
        return node.attr
    return None


def _template_fields(s, depth=0):
    """Field names of a str.format template, nested specs included."""
    if depth > 2:
        return []
    try:
        parsed = list(string.Formatter().parse(s))
    except (ValueError, TypeError):
        return []
    out = []
    for _literal, field, spec, _conv in parsed:
        if field is not None:
            out.append(nfkc(field))
        if spec:
            out.extend(_template_fields(spec, depth + 1))
    return out


def _special_hint(name):
    if name in ("__getattr__", "__getattribute__"):
        return ": numpy reads special attributes through it, which exposes raw memory; use properties or explicit methods"
    if name in ("__reduce__", "__reduce_ex__", "__getstate__"):
        return ": copy turns its result into attribute writes; define __copy__/__deepcopy__ instead"
    return ": only ordinary special methods may be defined"


def _dunder_hint(attr):
    if attr == "__class__":
        return "; use type(x)"
    if attr == "__dict__":
        return "; use dataclasses.asdict or explicit attributes"
    return ""


# --- one request ----------------------------------------------------------------------


class RequestError(Exception):
    pass


class Analysis:
    def __init__(self, lib, files):
        self.lib = lib
        self.sandbox = Sandbox(files)
        self.infos = {}  # path -> FileInfo
        self.by_module = {}  # dotted name -> FileInfo
        self.queue = []
        self.reachable = set()
        self._enum_memo = {}
        self._member_guard = set()

    # files

    def load(self, modname, path, is_package):
        fi = self.infos.get(path)
        if fi is not None:
            return fi
        fi = FileInfo(path, modname, is_package, self.sandbox.files[path])
        self.infos[path] = fi
        self.by_module[modname] = fi
        parse_file(fi)
        if fi.tree is not None:
            try:
                Binder(self, fi).run()
            except (RecursionError, MemoryError):
                fi.tree = None
                fi.violations.add("too-complex", 1, 0, "the source nests too deeply to be checked")
        return fi

    def need(self, modname):
        """Marks a sandbox module reachable; returns False if it is missing."""
        found = self.sandbox.find(modname)
        if found is None:
            return False
        path, is_package = found
        if path is not None and path not in self.reachable:
            self.reachable.add(path)
            self.queue.append((modname, path, is_package))
        return True

    def follow(self):
        while self.queue:
            modname, path, is_package = self.queue.pop(0)
            self.load(modname, path, is_package)

    # imports (called by the Binder)

    def bind_import(self, binder, node, scope, main):
        fi = binder.fi
        v = fi.violations
        if type(node) is ast.Import:
            for a in node.names:
                if main:
                    ref = _DEAD
                else:
                    ref = self.import_module(fi, a.name, node)
                    if ref is not _DEAD and a.asname is None:
                        top = a.name.partition(".")[0]
                        ref = Ref(ref.kind, top, self.lib.module(top) if ref.kind == MODULE else None)
                name = a.asname or a.name.partition(".")[0]
                binder.bind(scope, name, Binding("import", main, ref))
            return
        # from ... import ...
        if main:
            for a in node.names:
                if a.name != "*":
                    binder.bind(scope, a.asname or a.name, Binding("import", True, _DEAD))
            return
        if node.level:
            pkg = fi.package.split(".") if fi.package else []
            if node.level > len(pkg):
                v.add("banned-import", node.lineno, node.col_offset,
                      f"relative import from '{'.' * node.level}{node.module or ''}' goes outside the sandbox package; "
                      "the entry module is imported as a top-level module")
                for a in node.names:
                    if a.name != "*":
                        binder.bind(scope, a.asname or a.name, Binding("import", False, _DEAD))
                return
            base = pkg[: len(pkg) - node.level + 1]
            modname = ".".join(base + ([node.module] if node.module else []))
            module_ref = self.import_sandbox(fi, modname, node, shown=modname)
        else:
            modname = node.module
            module_ref = self.import_module(fi, modname, node)
        for a in node.names:
            bound = a.asname or a.name
            if module_ref is _DEAD:
                if a.name != "*":
                    binder.bind(scope, bound, Binding("import", False, _DEAD))
                continue
            if module_ref.kind == SANDBOX:
                if a.name == "*":
                    scope.stars.append(modname)
                elif self.need(modname + "." + a.name):
                    binder.bind(scope, bound, Binding("import", False, Ref(SANDBOX, modname + "." + a.name)))
                else:
                    binder.bind(scope, bound, Binding("from-sandbox", False, (modname, a.name)))
                continue
            if modname == "__future__":
                binder.bind(scope, bound, Binding("other", False))
                continue
            if a.name == "*":
                self.star_import(binder, node, scope, module_ref)
                continue
            ref, problem = self.resolve_attr(module_ref, a.name)
            if problem is None and is_dunder(a.name) and a.name not in policy.DUNDER_ATTRIBUTES_READABLE:
                problem = ("banned-import", f"importing '{a.name}' is not allowed: dunder names belong to the interpreter")
            if problem is None:
                problem = _name_problem(a.name)
            if problem is not None:
                v.add("banned-import", node.lineno, node.col_offset, f"import of '{modname}.{a.name}' is not allowed: " + problem[1].split(": ", 1)[-1])
                ref = _DEAD
            binder.bind(scope, bound, Binding("import", False, ref))

    def star_import(self, binder, node, scope, module_ref):
        mod = module_ref.obj
        if mod is None:
            return
        bad = []
        for n in self.lib.public_names(module_ref.name, mod):
            ref, problem = self.resolve_attr(module_ref, n)
            if problem is None:
                problem = _name_problem(n)
            if problem is not None:
                bad.append(n)
                ref = _DEAD
            binder.bind(scope, n, Binding("import", False, ref))
        if bad:
            shown = ", ".join(sorted(bad)[:8]) + (", ..." if len(bad) > 8 else "")
            binder.fi.violations.add("banned-import", node.lineno, node.col_offset,
                                     f"'from {module_ref.name} import *' brings in names that are not allowed ({shown}); import the names you need")

    def import_module(self, fi, dotted, node):
        """Ref for `import dotted` / `from dotted import`; reports violations."""
        v = fi.violations
        parts = dotted.split(".")
        top = parts[0]
        if self.lib.is_external(top):
            for i in range(1, len(parts) + 1):
                prefix = ".".join(parts[:i])
                if prefix not in policy.ALLOWED_MODULES:
                    why = "it reaches interpreter internals" if any(p.startswith("_") for p in parts[:i]) and prefix != "__future__" else policy.IMPORT_HINT
                    shown = dotted if prefix == dotted else f"{dotted}' (through '{prefix}"
                    v.add("banned-import", node.lineno, node.col_offset, f"import of '{shown}' is not allowed: {why}")
                    return _DEAD
            return Ref(MODULE, dotted, self.lib.module(dotted))
        return self.import_sandbox(fi, dotted, node, shown=dotted)

    def import_sandbox(self, fi, dotted, node, shown):
        parts = dotted.split(".")
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            if not self.need(prefix):
                msg = (f"import of '{shown}' is not allowed: it is neither an allowed module nor a sandbox module "
                       f"(no {prefix.replace('.', '/')}.py); " + policy.IMPORT_HINT)
                fi.violations.add("banned-import", node.lineno, node.col_offset, msg)
                return _DEAD
        return Ref(SANDBOX, dotted)

    # names

    def lookup_ref(self, fi, n, scope, node, walker):
        """What a loaded name statically is; reports undefined names."""
        s, d, found, sound = scope, True, None, False
        while s is not None:
            if s.kind == "module":
                found = s.bindings.get(n)
                break
            if s.kind == "class":
                if d and n in s.bindings:
                    found = s.bindings[n]
                    break
            else:
                if n in s.globals:
                    s = s.module()
                    d = False
                    continue
                if n in s.bindings and n not in s.nonlocals:
                    found, sound = s.bindings[n], True
                    break
            d = False
            s = s.parent
        ref = self.binding_ref(fi, found, n) if found else None
        if sound:
            return ref
        if n in _SPECIAL_BUILTINS and (ref is None or ref.kind == DEAD):
            if n in policy.BANNED_BUILTINS:
                if walker is not None:
                    walker.report("banned-name", node, f"'{n}' is not allowed: {policy.BANNED_BUILTINS[n]}")
                return _DEAD
            return Ref(BUILTIN, n, extra=bool(found))
        if found is None:
            if s is not None and s.stars:
                for m in s.stars:
                    member = self.sandbox_member(m, n)
                    if member is not None:
                        return member
                    if self.has_public(m, n):
                        return None
            if n in _BUILTIN_NAMES:
                return None
            if walker is not None and walker.check_undefined:
                walker.report("undefined-name", node, f"the name '{n}' is not defined anywhere in this module")
            return _DEAD
        return ref

    def binding_ref(self, fi, bindings, name):
        live = [b for b in bindings if not b.main]
        if not live:
            return _DEAD
        for b in live:
            if b.kind == "import":
                return b.data
            if b.kind == "from-sandbox":
                ref = self.sandbox_member(*b.data)
                if ref is not None:
                    return ref
        for b in live:
            if b.kind == "class":
                node, scope = b.data
                if self.memberless_enum(fi, node, scope):
                    return Ref(USER_ENUM, name)
                if all(x.kind == "class" for x in live):
                    return Ref("class", name, extra="class")
        return None

    def memberless_enum(self, fi, node, scope):
        key = id(node)
        if key in self._enum_memo:
            return self._enum_memo[key]
        self._enum_memo[key] = False  # cycles resolve to "not an enum"
        derived = False
        for b in node.bases:
            ref = self.static_ref(fi, b, scope)
            if ref is not None and (ref.kind == USER_ENUM or (ref.kind == OBJECT and _is_memberless_enum(ref.obj))):
                derived = True
        result = derived and not _has_members(node)
        self._enum_memo[key] = result
        return result

    def static_ref(self, fi, node, scope, depth=0):
        if depth > 50:
            return None
        if type(node) is ast.Name:
            return self.lookup_ref(fi, node.id, scope, node, None)
        if type(node) is ast.Attribute and not is_dunder(node.attr):
            base = self.static_ref(fi, node.value, scope, depth + 1)
            if base is None or base.kind == DEAD:
                return None
            ref, problem = self.resolve_attr(base, node.attr)
            return None if problem else ref
        return None

    def sandbox_member(self, modname, name):
        key = (modname, name)
        if key in self._member_guard:
            return None
        self._member_guard.add(key)
        try:
            parent = self.sandbox.find(modname)
            found = self.sandbox.find(modname + "." + name) if parent is not None and parent[1] else None
            if found is not None and (found[0] is None or found[0] in self.reachable):
                return Ref(SANDBOX, modname + "." + name)
            fi = self.by_module.get(modname)
            if fi is None or fi.module_scope is None:
                return None
            bindings = fi.module_scope.bindings.get(name)
            if bindings:
                return self.binding_ref(fi, bindings, name)
            for m in fi.module_scope.stars:
                ref = self.sandbox_member(m, name)
                if ref is not None:
                    return ref
            return None
        finally:
            self._member_guard.discard(key)

    def has_public(self, modname, name):
        fi = self.by_module.get(modname)
        return fi is not None and fi.module_scope is not None and not name.startswith("_") and name in fi.module_scope.bindings

    # attributes

    def resolve_attr(self, base, attr):
        """(ref, problem) for base.attr; problem is (rule, message)."""
        k = base.kind
        if k == MODULE:
            modname = base.name
            allow = policy.MODULE_ATTRIBUTE_ALLOWLIST.get(modname)
            if allow is not None and attr not in allow:
                return _DEAD, ("banned-attribute", f"'{modname}.{attr}' is not allowed: only {', '.join(sorted(allow))} of {modname} may be used")
            if attr.startswith("_") and not is_dunder(attr) and attr not in policy.PRIVATE_ATTRIBUTES_ALLOWED:
                return _DEAD, ("private-attribute", f"'{modname}.{attr}' is not allowed: private names of library modules are not reachable")
            mod = base.obj
            if mod is None:
                return None, None
            kind, value = self.lib.module_attr(modname, mod, attr)
            if kind == "module":
                if value in policy.ALLOWED_MODULES:
                    return Ref(MODULE, value, self.lib.module(value)), None
                return _DEAD, ("banned-attribute", f"'{modname}.{attr}' is the module '{value}', which is not allowed: " + policy.IMPORT_HINT)
            if kind == "object":
                return self.object_ref(f"{modname}.{attr}", value)
            return None, None
        if k == SANDBOX:
            return self.sandbox_member(base.name, attr), None
        if k == OBJECT and isinstance(base.obj, type):
            if attr.startswith("_") and not is_dunder(attr) and attr not in policy.PRIVATE_ATTRIBUTES_ALLOWED:
                return _DEAD, ("private-attribute", f"'{base.name}.{attr}' is not allowed: private names of library classes are not reachable")
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    value = getattr(base.obj, attr)
            except Exception:
                return None, None
            if isinstance(value, types.ModuleType):
                return None, None
            return self.object_ref(f"{base.name}.{attr}", value)
        return None, None

    def object_ref(self, qual, value):
        hit = self.lib.banned(value)
        if hit is not None:
            return _DEAD, ("banned-attribute", f"'{qual}' is not allowed: {hit[1]}")
        return Ref(OBJECT, qual, value), None


def _name_problem(name):
    """Problem for importing a name that is banned on any object."""
    if name in policy.INTERNAL_ATTRIBUTES:
        return ("internal-attribute", policy.INTERNAL_MESSAGE)
    reason = policy.BANNED_ATTRIBUTES.get(name) or policy.BANNED_BUILTINS.get(name)
    if reason is not None:
        return ("banned-attribute", reason)
    return None


def _has_members(cls):
    for stmt in cls.body:
        targets, value = (), None
        if type(stmt) is ast.Assign:
            targets, value = stmt.targets, stmt.value
        elif type(stmt) is ast.AnnAssign and stmt.value is not None:
            targets, value = (stmt.target,), stmt.value
        for t in targets:
            if type(t) is ast.Name and not t.id.startswith("_") and _member_value(value):
                return True
    return False


def _member_value(value):
    t = type(value)
    if t is ast.Constant:
        return True
    if t in (ast.Tuple, ast.List):
        return all(type(e) is ast.Constant for e in value.elts)
    if t is ast.UnaryOp:
        return type(value.operand) is ast.Constant
    if t is ast.Call and _tail_name(value.func) == "auto" and not value.args and not value.keywords:
        return True
    return False


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
    lines = _LINE_SPLIT_RE.split(src, 2)[:2]
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


# --- signatures -------------------------------------------------------------------------

_SCALARS = {
    "int": {"type": "integer"}, "float": {"type": "number"}, "bool": {"type": "boolean"},
    "str": {"type": "string"}, "bytes": {"type": "string"}, "bytearray": {"type": "string"},
    "None": {"type": "null"}, "NoneType": {"type": "null"}, "Any": {}, "object": {},
    "Decimal": {"type": "number"}, "Fraction": {"type": "number"},
}
_ARRAYS = frozenset(
    "list List Sequence MutableSequence tuple Tuple set Set frozenset FrozenSet Iterable "
    "Iterator Collection AbstractSet MutableSet deque Deque ndarray NDArray ArrayLike".split()
)
_OBJECTS = frozenset("dict Dict Mapping MutableMapping OrderedDict defaultdict DefaultDict Counter".split())


def annotation_schema(node, depth=0):
    if node is None or depth > 20:
        return {}
    t = type(node)
    if t is ast.Constant:
        if node.value is None:
            return {"type": "null"}
        if isinstance(node.value, str):
            try:
                return annotation_schema(ast.parse(node.value.strip(), mode="eval").body, depth + 1)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return {}
        return {}
    if t is ast.BinOp and type(node.op) is ast.BitOr:
        return _union([annotation_schema(node.left, depth + 1), annotation_schema(node.right, depth + 1)])
    name = _tail_name(node)
    if name is not None:
        if name in _SCALARS:
            return dict(_SCALARS[name])
        if name in _ARRAYS:
            return {"type": "array"}
        if name in _OBJECTS:
            return {"type": "object"}
        return {}
    if t is ast.Subscript:
        base = _tail_name(node.value)
        args = node.slice.elts if type(node.slice) is ast.Tuple else [node.slice]
        if base == "Optional":
            return _union([annotation_schema(args[0], depth + 1), {"type": "null"}])
        if base == "Union":
            return _union([annotation_schema(a, depth + 1) for a in args])
        if base == "Annotated":
            return annotation_schema(args[0], depth + 1)
        if base == "Literal":
            values = [a.value for a in args if type(a) is ast.Constant and isinstance(a.value, (str, int, float, bool))]
            return {"enum": values} if values else {}
        if base in _ARRAYS:
            s = {"type": "array"}
            if base in ("tuple", "Tuple") and not (len(args) == 2 and type(args[1]) is ast.Constant and args[1].value is Ellipsis):
                # tuple[X, Y]: items only when every position has the same schema
                schemas = [annotation_schema(a, depth + 1) for a in args]
                item_schema = schemas[0] if schemas and all(x == schemas[0] for x in schemas) else {}
            else:
                item_schema = annotation_schema(args[0], depth + 1) if args else {}
            if item_schema:
                s["items"] = item_schema
            return s
        if base in _OBJECTS:
            s = {"type": "object"}
            if len(args) == 2:
                values = annotation_schema(args[1], depth + 1)
                if values:
                    s["additionalProperties"] = values
            return s
        return annotation_schema(node.value, depth + 1)
    return {}


def _union(parts):
    nullable = any(p == {"type": "null"} for p in parts)
    others = [p for p in parts if p != {"type": "null"}]
    if any(p == {} for p in others):
        s = {}
    elif not others:
        return {"type": "null"}
    elif len(others) == 1:
        s = dict(others[0])
    else:
        unique = []
        for p in others:
            if p not in unique:
                unique.append(p)
        s = dict(unique[0]) if len(unique) == 1 else {"anyOf": unique}
    if nullable:
        s["nullable"] = True
    return s


def _literal_default(node):
    try:
        value = ast.literal_eval(node)
        if isinstance(value, tuple):
            value = list(value)
        json.dumps(value, allow_nan=False)
        return True, value
    except Exception:
        return False, None


def _unparse(node):
    try:
        return ast.unparse(node)
    except Exception:
        return None


def signature(fn):
    a = fn.args
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    params = []

    def add(arg, kind, default):
        schema = annotation_schema(arg.annotation)
        if default is not None:
            ok, value = _literal_default(default)
            if ok:
                schema["default"] = value
        params.append({
            "name": arg.arg,
            "kind": kind,
            "annotation": _unparse(arg.annotation) if arg.annotation is not None else None,
            "default": _unparse(default) if default is not None else None,
            "required": default is None and kind not in ("var_positional", "var_keyword"),
            "schema": schema,
        })

    for i, arg in enumerate(positional):
        add(arg, "positional_only" if i < len(a.posonlyargs) else "positional_or_keyword", defaults[i])
    if a.vararg is not None:
        add(a.vararg, "var_positional", None)
    for arg, default in zip(a.kwonlyargs, a.kw_defaults):
        add(arg, "keyword_only", default)
    if a.kwarg is not None:
        add(a.kwarg, "var_keyword", None)
    return {
        "name": fn.name,
        "params": params,
        "doc": ast.get_docstring(fn),
        "returns": _unparse(fn.returns) if fn.returns is not None else None,
        "return_schema": annotation_schema(fn.returns),
        "async": type(fn) is ast.AsyncFunctionDef,
    }


def _top_level_function(tree, name):
    found = None
    for stmt in tree.body:
        if type(stmt) in (ast.FunctionDef, ast.AsyncFunctionDef) and stmt.name == name:
            found = stmt
    return found


# --- requests ---------------------------------------------------------------------------


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
            if _top_level_function(tree, function) is not None:
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
    fn = _top_level_function(entry.tree, function) if entry.tree is not None else None
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


def handle_line(lib, line):
    """One request line (bytes) to one response line (bytes)."""
    try:
        req = json.loads(line)
    except (ValueError, RecursionError) as e:
        resp = {"id": None, "error": f"invalid JSON: {e}"}
    else:
        resp = handle(lib, req)
    try:
        data = json.dumps(resp, ensure_ascii=True, separators=(",", ":"))
    except Exception as e:
        data = json.dumps({"id": None, "error": f"internal: cannot encode response: {e}"})
    return data.encode("ascii") + b"\n"


def _too_large():
    return json.dumps({"id": None, "error": f"request line exceeds {policy.MAX_REQUEST_BYTES} bytes"}).encode() + b"\n"


def serve_stream(lib, rfile, wfile):
    """Serves requests from rfile until EOF or an oversized line."""
    limit = policy.MAX_REQUEST_BYTES
    while True:
        line = rfile.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not (len(line) == limit + 1 and line.endswith(b"\n")):
            wfile.write(_too_large())
            wfile.flush()
            return
        if not line.strip():
            continue
        wfile.write(handle_line(lib, line))
        wfile.flush()


# --- process ----------------------------------------------------------------------------


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        try:
            serve_stream(self.server.lib, self.rfile, self.wfile)
        except (BrokenPipeError, ConnectionResetError):
            pass


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    block_on_close = False


def serve_socket(lib, path, ready=None, stop=None):
    """Serves on a unix socket until stop is set (SIGTERM sets it)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    if st is not None:
        if not stat.S_ISSOCK(st.st_mode):
            raise SystemExit(f"stargate_checker: {path} exists and is not a socket")
        os.unlink(path)
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    server = _Server(path, _Handler)
    server.lib = lib
    os.chmod(path, 0o666)  # the API connects as another user
    stop = stop or threading.Event()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    if ready is not None:
        ready.set()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        server.server_close()
        try:
            os.unlink(path)
        except OSError:
            pass


def main(argv=None):
    ap = argparse.ArgumentParser(description="Stargate policy checker")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--socket", help="unix socket path to serve on")
    mode.add_argument("--stdin", action="store_true", help="serve requests from stdin, answer on stdout")
    args = ap.parse_args(argv)
    sys.setrecursionlimit(10000)
    threading.stack_size(256 * 1024 * 1024)
    warnings.simplefilter("ignore")
    lib = LibIndex().warm()
    if args.stdin:
        # A worker thread gets the large stack deeply nested sources need.
        t = threading.Thread(target=serve_stream, args=(lib, sys.stdin.buffer, sys.stdout.buffer))
        t.start()
        t.join()
        return 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    serve_socket(lib, args.socket, stop=stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
