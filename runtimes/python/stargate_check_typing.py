"""Part of the ``Walker``: the places where the standard library turns
annotations or dataclass fields into code. ``functools.singledispatch``'s
``register`` evaluates annotations with ``typing.get_type_hints`` (every
string in them runs as code, however it was built), and ``dataclasses``
pastes a Field's name into the source it compiles, so a Field object must
never be in reach."""

import ast
import builtins

import stargate_policy as policy
from stargate_check_refs import BUILTIN, CALLEE, DEAD, MODULE, OBJECT, SANDBOX, USER_ENUM

_BUILTIN_NAMES = frozenset(dir(builtins))
_STATIC_KINDS = (OBJECT, MODULE, SANDBOX, BUILTIN, USER_ENUM, "class")
_REGISTER_HINT = ("write the class out (f.register(int), @f.register(int)) or annotate the function "
                  "with types written out")


class TypingChecks:
    """Annotation, register and dataclass-field handlers of the Walker
    (stargate_check_walk.py), which provides report, x and the scope state."""

    # -- singledispatch's register

    def is_register(self, node, base):
        return (type(node) is ast.Attribute and node.attr in policy.REGISTER_ATTRIBUTES
                and (base is None or base.kind not in (MODULE, SANDBOX, DEAD)))

    def register_call(self, node):
        """x.register(...): with no function argument, the class argument
        must be a class written out (a function there has its annotations
        evaluated as code)."""
        args, kws = node.args, node.keywords
        if any(type(a) is ast.Starred for a in args) or any(k.arg is None for k in kws):
            self.report("dynamic-attribute", node, f"register() may not take * or ** arguments; {_REGISTER_HINT}")
            return
        named = {k.arg: k.value for k in kws}
        cls = args[0] if args else named.get("cls")
        has_func = len(args) > 1 or "func" in named or "method" in named
        if cls is not None and not has_func and not self.static_type(cls, self.scope, classes_only=True):
            self.report("dynamic-attribute", cls, "register() with one argument evaluates that function's annotations "
                        f"as code; {_REGISTER_HINT}")

    def register_decorated(self, node):
        """A function under a bare @x.register: its annotations are
        evaluated, so they must be static type expressions."""
        decos = node.decorator_list
        for i, d in enumerate(decos):
            if type(d) is not ast.Attribute or d.attr not in policy.REGISTER_ATTRIBUTES:
                continue
            base = self.an.static_ref(self.fi, d.value, self.scope)
            if base is not None and base.kind in (MODULE, SANDBOX):
                continue
            if i != len(decos) - 1:
                self.report("dynamic-attribute", d, "@register must be the innermost decorator: the decorators below it "
                            "could hand it a function with other annotations")
            a = node.args
            anns = [p.annotation for p in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]
                    if p is not None and p.annotation is not None]
            if node.returns is not None:
                anns.append(node.returns)
            for ann in anns:
                if not self.static_type(ann, self.scope):
                    self.report("dynamic-attribute", ann, "a function registered with @register has its annotations "
                                "evaluated as code: annotate it with types written out, not variables or expressions")

    def static_type(self, node, scope, depth=0, classes_only=False):
        """Whether an annotation can only name types: names of classes,
        imports and builtins, attributes of those, subscripts, ``|``."""
        if depth > 20:
            return False
        t = type(node)
        if t is ast.Name:
            return self.static_name(node, scope)
        if t is ast.Attribute:
            ref = self.an.static_ref(self.fi, node, scope)
            return ref is not None and ref.kind in _STATIC_KINDS
        if t is ast.BinOp and type(node.op) is ast.BitOr:
            return (self.static_type(node.left, scope, depth + 1, classes_only)
                    and self.static_type(node.right, scope, depth + 1, classes_only))
        if classes_only:
            return False
        if t is ast.Subscript:
            return self.static_type(node.value, scope, depth + 1) and self.static_type(node.slice, scope, depth + 1)
        if t in (ast.Tuple, ast.List):
            return all(self.static_type(e, scope, depth + 1) for e in node.elts)
        if t is ast.Constant:
            if not isinstance(node.value, str):
                return True
            if len(node.value) > policy.MAX_STRING_ANNOTATION:
                return False
            try:
                tree = ast.parse(node.value.strip(), mode="eval")
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return True  # typing cannot compile it either: nothing is evaluated
            # typing evaluates the string in the module's namespace.
            return self.static_type(tree.body, self.fi.module_scope, depth + 1)
        return False

    def static_name(self, node, scope):
        ref = self.an.lookup_ref(self.fi, node.id, scope, node, None)
        if ref is not None:
            return ref.kind in _STATIC_KINDS
        s = scope
        while s is not None:
            if node.id in s.bindings:
                return False  # a variable: it may hold a string
            s = s.parent
        return node.id in _BUILTIN_NAMES

    # -- dataclasses.field

    def lib_objects(self, quals):
        return [o for o in (self.lib.lookup(q) for q in quals) if o is not None]

    def is_field_call(self, node):
        if type(node) is not ast.Call:
            return False
        ref = self.an.static_ref(self.fi, node.func, self.scope)
        return ref is not None and ref.kind == OBJECT and any(ref.obj is o for o in self.lib_objects(policy.DATACLASS_FIELD_CALLABLES))

    def is_dataclass_decorated(self, node):
        decos = self.lib_objects(policy.DATACLASS_DECORATORS)
        for d in node.decorator_list:
            f = d.func if type(d) is ast.Call else d
            ref = self.an.static_ref(self.fi, f, self.scope)
            if ref is not None and ref.kind == OBJECT and any(ref.obj is o for o in decos):
                return True
        return False

    def field_use(self, ref, ctx, node):
        """dataclasses.field used anywhere but as an allowed annotated value."""
        if not any(ref.obj is o for o in self.lib_objects(policy.DATACLASS_FIELD_CALLABLES)):
            return
        if ctx != CALLEE or node is not self.field_ok:
            self.report("dynamic-attribute", node, "dataclasses.field(...) may only be the value of an annotated field "
                        "in the body of a @dataclass class (x: list = field(default_factory=list))")

    def class_field_value(self, target, value):
        """s_annassign in a class body: allows field(...) as the value when
        the class is a dataclass, and remembers the name (it holds the Field
        object for the rest of the body)."""
        if not self.is_field_call(value):
            return None
        fields = self.class_fields.get(id(self.scope))
        if fields is None or type(target) is not ast.Name:
            return None
        fields.add(target.id)
        return value.func

    def class_field_read(self, node):
        if self.scope.kind == "class" and node.id in self.class_fields.get(id(self.scope), ()):
            self.report("dynamic-attribute", node, f"'{node.id}' holds a dataclasses Field object in the class body; "
                        "it may not be read there")
            return True
        return False

    def string_annotation_limits(self, node):
        if self.annotation_depth >= policy.MAX_STRING_ANNOTATION_DEPTH or len(node.value) > policy.MAX_STRING_ANNOTATION:
            self.report("too-complex", node, "this string annotation is too long or nested too deeply to be checked; "
                        "typing may evaluate it as code: write the type out")
            return False
        return True

