"""``Analysis``: the state of one request. It finds the entry module,
follows its imports through the sandbox files (breadth first), and answers
what a name, an import or an attribute statically is (a ``Ref``)."""

import ast
import builtins
import types
import warnings

import stargate_policy as policy
from stargate_check_binder import Binder, Binding
from stargate_check_files import FileInfo, Sandbox, parse_file
from stargate_check_library import is_memberless_enum
from stargate_check_refs import (
    BUILTIN, DEAD, DEAD_REF, MODULE, OBJECT, SANDBOX, USER_ENUM, Ref, is_dunder, tail_name,
)

_BUILTIN_NAMES = frozenset(dir(builtins))
_SPECIAL_BUILTINS = (
    frozenset(policy.BANNED_BUILTINS)
    | policy.DYNAMIC_ATTRIBUTE_BUILTINS
    | {"type", "object", "str", "super", "isinstance", "issubclass"}
)


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
                    ref = DEAD_REF
                else:
                    ref = self.import_module(fi, a.name, node)
                    if ref is not DEAD_REF and a.asname is None:
                        top = a.name.partition(".")[0]
                        ref = Ref(ref.kind, top, self.lib.module(top) if ref.kind == MODULE else None)
                name = a.asname or a.name.partition(".")[0]
                binder.bind(scope, name, Binding("import", main, ref))
            return
        # from ... import ...
        if main:
            for a in node.names:
                if a.name != "*":
                    binder.bind(scope, a.asname or a.name, Binding("import", True, DEAD_REF))
            return
        if node.level:
            pkg = fi.package.split(".") if fi.package else []
            if node.level > len(pkg):
                v.add("banned-import", node.lineno, node.col_offset,
                      f"relative import from '{'.' * node.level}{node.module or ''}' goes outside the sandbox package; "
                      "the entry module is imported as a top-level module")
                for a in node.names:
                    if a.name != "*":
                        binder.bind(scope, a.asname or a.name, Binding("import", False, DEAD_REF))
                return
            base = pkg[: len(pkg) - node.level + 1]
            modname = ".".join(base + ([node.module] if node.module else []))
            module_ref = self.import_sandbox(fi, modname, node, shown=modname)
        else:
            modname = node.module
            module_ref = self.import_module(fi, modname, node)
        for a in node.names:
            bound = a.asname or a.name
            if module_ref is DEAD_REF:
                if a.name != "*":
                    binder.bind(scope, bound, Binding("import", False, DEAD_REF))
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
                ref = DEAD_REF
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
                ref = DEAD_REF
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
                    shown = f"'{dotted}'" if prefix == dotted else f"'{dotted}' (through '{prefix}')"
                    v.add("banned-import", node.lineno, node.col_offset, f"import of {shown} is not allowed: {why}")
                    return DEAD_REF
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
                return DEAD_REF
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
                return DEAD_REF
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
            return DEAD_REF
        return ref

    def binding_ref(self, fi, bindings, name):
        live = [b for b in bindings if not b.main]
        if not live:
            return DEAD_REF
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
            if ref is not None and (ref.kind == USER_ENUM or (ref.kind == OBJECT and is_memberless_enum(ref.obj))):
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
                return DEAD_REF, ("banned-attribute", f"'{modname}.{attr}' is not allowed: only {', '.join(sorted(allow))} of {modname} may be used")
            if attr.startswith("_") and not is_dunder(attr) and attr not in policy.PRIVATE_ATTRIBUTES_ALLOWED:
                return DEAD_REF, ("private-attribute", f"'{modname}.{attr}' is not allowed: private names of library modules are not reachable")
            mod = base.obj
            if mod is None:
                return None, None
            kind, value = self.lib.module_attr(modname, mod, attr)
            if kind == "module":
                if value in policy.ALLOWED_MODULES:
                    return Ref(MODULE, value, self.lib.module(value)), None
                return DEAD_REF, ("banned-attribute", f"'{modname}.{attr}' is the module '{value}', which is not allowed: " + policy.IMPORT_HINT)
            if kind == "object":
                return self.object_ref(f"{modname}.{attr}", value)
            return None, None
        if k == SANDBOX:
            return self.sandbox_member(base.name, attr), None
        if k == OBJECT and isinstance(base.obj, type):
            if attr.startswith("_") and not is_dunder(attr) and attr not in policy.PRIVATE_ATTRIBUTES_ALLOWED:
                return DEAD_REF, ("private-attribute", f"'{base.name}.{attr}' is not allowed: private names of library classes are not reachable")
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
            return DEAD_REF, ("banned-attribute", f"'{qual}' is not allowed: {hit[1]}")
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
    # Names listed in _ignore_ are not members (a non-literal list: unknown).
    ignored = set()
    for stmt in cls.body:
        if type(stmt) is ast.Assign and any(type(t) is ast.Name and t.id == "_ignore_" for t in stmt.targets):
            v = stmt.value
            if type(v) is ast.Constant and isinstance(v.value, str):
                ignored.update(v.value.replace(",", " ").split())
            elif type(v) in (ast.List, ast.Tuple) and all(type(e) is ast.Constant and isinstance(e.value, str) for e in v.elts):
                ignored.update(e.value for e in v.elts)
            else:
                return False
    for stmt in cls.body:
        targets, value = (), None
        if type(stmt) is ast.Assign:
            targets, value = stmt.targets, stmt.value
        elif type(stmt) is ast.AnnAssign and stmt.value is not None:
            targets, value = (stmt.target,), stmt.value
        for t in targets:
            if type(t) is ast.Name and not t.id.startswith("_") and t.id not in ignored and _member_value(value):
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
    if t is ast.Call and tail_name(value.func) == "auto" and not value.args and not value.keywords:
        return True
    return False
