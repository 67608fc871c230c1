"""``Walker``, the check proper: every node of one file, with the context an
expression is used in (called, used as ``module.attr`` base, compared, used
as a value...), because "a module object used as a value" or "getattr passed
as an argument" is only visible from the use. This module holds the
statements; expressions are in stargate_check_expressions.py, names,
attributes and calls in stargate_check_access.py."""

import ast

import stargate_policy as policy
from stargate_check_access import AccessChecks
from stargate_check_binder import Scope, is_main_guard
from stargate_check_expressions import ExpressionChecks
from stargate_check_typing import TypingChecks
from stargate_check_refs import (
    CLASS_BASE, COMPARE, DECORATOR, DEL, ISINSTANCE, METACLASS, STORE, TEST, VALUE, is_dunder, nfkc,
)


class Walker(ExpressionChecks, AccessChecks, TypingChecks):
    """Checks one file; its expression handlers come from the two mixins."""

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
        self.field_ok = None  # the dataclasses.field node allowed at this moment
        self.class_fields = {}  # id(dataclass body scope) -> names bound to field(...)
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
            if top and type(node) is ast.If and policy.MAIN_GUARD_SKIPS_BODY and is_main_guard(node.test):
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
        self.register_decorated(node)
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
        dataclass = self.is_dataclass_decorated(node)
        prev = self.enter(node)
        if dataclass:
            self.class_fields[id(self.scope)] = set()
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
            if self.scope.kind == "class":
                self.field_ok = self.class_field_value(node.target, node.value)
            try:
                self.x(node.value, VALUE)
            finally:
                self.field_ok = None
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


def _special_hint(name):
    if name in ("__getattr__", "__getattribute__"):
        return ": numpy reads special attributes through it, which exposes raw memory; use properties or explicit methods"
    if name in ("__reduce__", "__reduce_ex__", "__getstate__"):
        return ": copy turns its result into attribute writes; define __copy__/__deepcopy__ instead"
    return ": only ordinary special methods may be defined"
