"""Part of the ``Walker``: expressions whose checks are structural (operators,
literals, subscripts, lambdas, comprehensions, string annotations); each
passes its operands on with the context they are used in."""

import ast

import stargate_policy as policy
from stargate_check_refs import COMPARE, ISINSTANCE, OBJECT, STORE, TEST, VALUE

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


class ExpressionChecks:
    """Expression handlers of the Walker (stargate_check_walk.py), which
    provides report, unknown, generic, enter, arguments, params, target,
    check_bind and the scope state."""

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
        if not self.string_annotation_limits(node):
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
        ref = self.x(base, VALUE)
        wrapper = self.literal_wrapper(ref) if self.in_annotation else None
        if wrapper is not None:
            # typing.Literal[...] values and typing.Annotated[...] metadata
            # are never evaluated (only typing's own: "Literal = list" is not).
            prev = self.in_annotation
            sl = node.slice
            elts = sl.elts if type(sl) is ast.Tuple else [sl]
            if wrapper == "Annotated" and elts:
                self.x(elts[0], VALUE)
                elts = elts[1:]
            self.in_annotation = False
            for e in elts:
                self.x(e, VALUE)
            self.in_annotation = prev
        else:
            self.x(node.slice, VALUE)

    def literal_wrapper(self, ref):
        if ref is None or ref.kind != OBJECT:
            return None
        for qual in policy.ANNOTATION_LITERAL_WRAPPERS:
            if ref.obj is self.lib.lookup(qual):
                return qual.rpartition(".")[2]
        return None

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
