"""The per-file pre-pass: ``Binder`` builds one file's scopes and the names
bound in each, and resolves its imports (through the ``Analysis``), so the
reachable set of sandbox files is known before any file is checked."""

import ast
import re

import stargate_policy as policy
from stargate_check_files import LINE_SPLIT_RE

_SCOPE_HINT_RE = re.compile(r"lambda|:=|\bfor\b|\basync\b")


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


def is_main_guard(test):
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
        for line in LINE_SPLIT_RE.split(fi.source):
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
            guard = top and policy.MAIN_GUARD_SKIPS_BODY and is_main_guard(node.test)
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
