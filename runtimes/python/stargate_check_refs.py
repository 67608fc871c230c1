"""The checker's vocabulary, shared by its modules: the contexts an
expression can be used in, the kinds of ``Ref`` (what the checker statically
knows an expression to be), and small name helpers."""

import ast
import unicodedata

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


class Ref:
    __slots__ = ("kind", "name", "obj", "extra")

    def __init__(self, kind, name=None, obj=None, extra=None):
        self.kind = kind
        self.name = name
        self.obj = obj
        self.extra = extra


DEAD_REF = Ref(DEAD)


def is_dunder(name):
    return len(name) > 4 and name[:2] == "__" and name[-2:] == "__"


def nfkc(s):
    return unicodedata.normalize("NFKC", s)


def tail_name(node):
    if type(node) is ast.Name:
        return node.id
    if type(node) is ast.Attribute:
        return node.attr
    return None
