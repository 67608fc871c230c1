"""Part of the ``Walker``: names, attributes and calls, where what an
expression statically is (a ``Ref``) meets the context it is used in: a
module only as ``module.attr``, getattr only called with a literal name,
no dunder or banned attributes, no classes made by calls."""

import ast
import re
import string

import stargate_policy as policy
from stargate_check_library import is_memberless_enum, is_metaclass

from stargate_check_refs import (
    APPLIED, ATTR_BASE, BUILTIN, CALLEE, CLASS_BASE, COMPARE, DEAD, DEAD_REF, DECORATOR, DEL, GETATTR_METHOD,
    ISINSTANCE, METACLASS, MODULE, OBJECT, SANDBOX, STORE, STR_FORMAT, SUPER, TEST, TYPE_RESULT, USER_ENUM, VALUE,
    Ref, is_dunder, nfkc,
)

# obj._Printer__filenames: another class's name-mangled private attribute.
_MANGLED_RE = re.compile(r"_[A-Za-z0-9]\w*?__\w*[A-Za-z0-9]_?")


class AccessChecks:
    """Name, attribute and call handlers of the Walker
    (stargate_check_walk.py), which provides report, x and the scope state."""

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
            return DEAD_REF
        if self.class_field_read(node):
            return DEAD_REF
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
            self.field_use(ref, ctx, node)
            if self.lib.restricted(obj) is not None:
                if ctx not in (CALLEE, DECORATOR):
                    self.report("dynamic-attribute", node, f"'{ref.name}' may only be called directly")
            elif is_metaclass(obj):
                if ctx not in (METACLASS, ISINSTANCE, COMPARE, ATTR_BASE, CALLEE):
                    self.report("dynamic-class", node, f"the metaclass '{ref.name}' may only be used as metaclass=")
            elif is_memberless_enum(obj):
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
        if _MANGLED_RE.fullmatch(attr) and not attr.endswith("__"):
            self.report("private-attribute", node, f"the attribute '{attr}' is another class's private (name-mangled) attribute")
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
        if not store and attr in policy.CLASS_NAME_ATTRIBUTES and type(base_node) is ast.Attribute \
                and base_node.attr == "__class__":
            # x.__class__.__name__: only the class's name (a string) comes
            # out; the class object itself is never in reach.
            self.x(base_node.value, VALUE)
            return None
        base = self.x(base_node, ATTR_BASE)
        if not self.attr_name(attr, node, store):
            return DEAD_REF
        if store and base is not None and (base.kind == MODULE or (base.kind == OBJECT and isinstance(base.obj, type))) \
                and f"{base.name}.{attr}" not in policy.LIBRARY_SETTINGS_WRITABLE:
            self.report("banned-attribute", node, f"'{base.name}.{attr}' may not be assigned or deleted: library modules "
                        "and classes are read-only (a change would reach every caller); keep your own state")
            return DEAD_REF
        if not store and ctx not in (CALLEE, DECORATOR) and self.is_register(node, base):
            self.report("dynamic-attribute", node, "'.register' may only be called or used as a decorator: "
                        "singledispatch's register evaluates annotations as code")
            return DEAD_REF
        if is_dunder(attr):
            if base is not None and attr not in policy.DUNDER_ATTRIBUTES_READABLE and (
                    base.kind == USER_ENUM or (base.kind == OBJECT and is_memberless_enum(base.obj))):
                # Enum.__call__("E", names) is the functional API, unchecked.
                self.report("dynamic-class", node, f"'{attr}' of the member-less enum '{base.name}' is not allowed; "
                            "call it directly, with literal member names")
                return DEAD_REF
            if base is not None and base.kind in (MODULE, SANDBOX) and attr not in policy.DUNDER_ATTRIBUTES_READABLE:
                # np.__getattr__("testing"), np.__getattribute__("load"): a
                # module's attributes are reached by name only, so they resolve.
                self.report("dunder-attribute", node, f"'{attr}' of a module is not allowed; use {base.name.rpartition('.')[2]}.name")
                return DEAD_REF
            if base is not None and base.kind in (BUILTIN, OBJECT, TYPE_RESULT) and attr not in policy.DUNDER_ATTRIBUTES_READABLE:
                if (base.kind == BUILTIN and base.name == "type") or base.kind == TYPE_RESULT or (base.kind == OBJECT and is_metaclass(base.obj)):
                    self.report("dynamic-class", node, f"'{attr}' of a metaclass creates classes; use a class statement")
                    return DEAD_REF
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
                return DEAD_REF
            return None
        if base is None or base.kind == DEAD:
            return None
        ref, problem = self.an.resolve_attr(base, attr)
        if problem is not None:
            self.report(problem[0], node, problem[1])
            return DEAD_REF
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
        if type(node.func) is ast.Attribute and self.is_register(node.func, self.an.static_ref(self.fi, node.func.value, self.scope)):
            self.register_call(node)
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
                    elif type(args[0]) is not ast.Constant:
                        # type(None), type(0): a builtin type, never a
                        # metaclass, so an ordinary value.
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
                elif is_metaclass(func.obj):
                    self.report("dynamic-class", node, f"calling the metaclass '{func.name}' creates classes; use a class statement")
                elif is_memberless_enum(func.obj):
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


def _dunder_hint(attr):
    if attr == "__class__":
        return "; use type(x)"
    if attr == "__dict__":
        return "; use dataclasses.asdict or explicit attributes"
    return ""
