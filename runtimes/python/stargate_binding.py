"""Argument binding and result encoding for the Stargate function runner.

Binder turns an HTTP call (query parameters and an optional JSON body) into the
arguments of one Python function, converting each value by the parameter's
annotation the way FastAPI and pydantic's lax mode do. dumps turns the
function's return value into JSON bytes.

Standard library only. Values of optional modules (numpy, decimal, uuid,
datetime) are recognised through sys.modules and never imported here: a
function that returns a numpy array has imported numpy already.

Everything expensive happens once, in Binder(): the per-call path is a loop
over prebuilt (name, converter, ...) tuples.

The work is split by concern; this module holds Binder and re-exports the
rest, so that the runner imports one name:

    stargate_binding_errors   InvalidArguments, Unserializable, _Bad
    stargate_binding_types    annotations: resolving and reading them
    stargate_binding_scalars  converters of scalar annotations
    stargate_binding_convert  converter(annotation) for every other kind
    stargate_binding_encode   dumps: results to JSON bytes

The runner removes every stargate_binding* module from sys.modules after the
import, so that function code cannot import them; cross-module imports are
therefore all at module level, never inside a function.
"""

import inspect
import types

# Some names are imported only to be re-exported: the runner uses dumps,
# Unserializable and describe_exception; the tests converter and _Bad.
from stargate_binding_convert import _safe_converter, converter  # noqa: F401
from stargate_binding_encode import dumps, jsonable  # noqa: F401
from stargate_binding_errors import InvalidArguments, Unserializable, _Bad, _got, describe_exception  # noqa: F401
from stargate_binding_types import _EMPTY, _takes_dict, _takes_list, type_hints

__all__ = ["NO_BODY", "Binder", "InvalidArguments", "Unserializable", "dumps"]

# NO_BODY stands for a call without a body; None is a JSON null body.
NO_BODY = object()

_MISSING = object()


# ---------------------------------------------------------------------------
# Binding.


class Binder:
    """Binds one call's query parameters and JSON body to fn's parameters.

    Query parameters and the fields of a JSON object body bind by name, the
    body winning over the query. A function of exactly one parameter also
    takes a non-object body whole, and an object body whose keys miss its
    name when the parameter accepts an object. Unknown names go to **kwargs,
    or are ignored."""

    def __init__(self, fn):
        self.fn = fn
        self.params = []  # (name, conv, required, default, positional_only, takes_list)
        self.names = frozenset()
        self.var_kw = False
        self.kw_conv = None
        self.kw_list = True
        self.single = None
        self.single_takes_dict = False
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            self.var_kw = True  # unknown signature: pass every name through
            return
        hints = {}
        try:
            hints = type_hints(_annotated_target(fn))
        except Exception:
            pass
        P = inspect.Parameter
        for p in sig.parameters.values():
            if p.kind is P.VAR_POSITIONAL:
                continue
            ann = hints.get(p.name, p.annotation)
            if p.kind is P.VAR_KEYWORD:
                self.var_kw = True
                self.kw_conv = _safe_converter(ann)
                self.kw_list = _safe_predicate(_takes_list, ann, True)
                continue
            posonly = p.kind is P.POSITIONAL_ONLY
            self.params.append((p.name, _safe_converter(ann), p.default is _EMPTY, p.default, posonly,
                                _safe_predicate(_takes_list, ann, True)))
            if len(self.params) == 1:
                self.single_takes_dict = _safe_predicate(_takes_dict, ann, False)
        self.names = frozenset(p[0] for p in self.params)
        if len(self.params) == 1:
            self.single = self.params[0][0]

    def bind(self, query, body):
        """query: (name, value) pairs or None; body: a JSON value or NO_BODY.
        Returns (args, kwargs); raises InvalidArguments."""
        q = None
        if query:
            q = {}
            for k, v in query:
                old = q.get(k, _MISSING)
                if old is _MISSING:
                    q[k] = v
                elif type(old) is list:
                    old.append(v)
                else:
                    q[k] = [old, v]
        b = None
        whole = _MISSING
        if body is not NO_BODY:
            if type(body) is dict:
                single = self.single
                if single is not None and body and single not in body and self.single_takes_dict:
                    whole = body
                else:
                    b = body
            elif self.single is not None:
                whole = body
            elif self.params:
                raise InvalidArguments([{
                    "parameter": "(body)",
                    "error": "expected a JSON object of named arguments, got " + _got(body),
                }])
        args = []
        kwargs = {}
        problems = None
        for name, conv, required, default, posonly, takes_list in self.params:
            if whole is not _MISSING:
                v, fq = whole, False
            elif b is not None and name in b:
                v, fq = b[name], False
            elif q is not None and name in q:
                v, fq = q[name], True
                if type(v) is list and not takes_list:
                    v = v[-1]
            else:
                if required:
                    problems = _problem(problems, name, "missing")
                elif posonly:
                    args.append(default)
                continue
            if conv is not None:
                try:
                    v = conv(v, fq)
                except _Bad as e:
                    problems = _problem(problems, name, e.text())
                    continue
                except _REFUSED as e:
                    problems = _problem(problems, name, _unconvertible(e))
                    continue
            if posonly:
                args.append(v)
            else:
                kwargs[name] = v
        if self.var_kw:
            problems = self._bind_extra(q, b, kwargs, problems)
        if problems:
            raise InvalidArguments(problems)
        return args, kwargs

    def _bind_extra(self, q, b, kwargs, problems):
        names = self.names
        conv = self.kw_conv
        extra = []
        if q is not None:
            for k, v in q.items():
                if k not in names and (b is None or k not in b):
                    if type(v) is list and not self.kw_list:
                        v = v[-1]
                    extra.append((k, v, True))
        if b is not None:
            for k, v in b.items():
                if k not in names:
                    extra.append((k, v, False))
        for k, v, fq in extra:
            if conv is not None:
                try:
                    v = conv(v, fq)
                except _Bad as e:
                    problems = _problem(problems, k, e.text())
                    continue
                except _REFUSED as e:
                    problems = _problem(problems, k, _unconvertible(e))
                    continue
            kwargs[k] = v
        return problems


def _unconvertible(e):
    if isinstance(e, RecursionError):
        return "cannot be converted: nested too deeply"
    return "cannot be converted: %s: %s" % (type(e).__name__, str(e)[:200])


def _annotated_target(fn):
    """The object whose annotations describe fn's parameters."""
    target = inspect.unwrap(fn)
    if isinstance(target, type):
        return target.__init__
    if not isinstance(target, (types.FunctionType, types.MethodType, types.BuiltinFunctionType)):
        call = getattr(type(target), "__call__", None)
        if call is not None:
            return call
    return target


def _safe_predicate(pred, ann, fallback):
    try:
        return pred(ann)
    except Exception:
        return fallback


# A value the annotation's own type refuses (an unhashable dict key, nesting
# past the interpreter's depth): still the caller's argument, not a failure
# of the runner.
_REFUSED = (TypeError, ValueError, RecursionError, OverflowError)


def _problem(problems, name, error):
    """Adds one parameter's problem; the list is made only when needed."""
    if problems is None:
        problems = []
    problems.append({"parameter": name, "error": error})
    return problems
