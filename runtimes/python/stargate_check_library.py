"""``LibIndex``: what the checker's own interpreter (the same image as the
runtime) knows about library modules: is a name a standard-library or
installed module, what does ``numpy.lib`` hold, is this object ``numpy.load``."""

import enum
import importlib
import importlib.util
import sys
import threading
import types
import warnings

import stargate_policy as policy


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


def is_metaclass(obj):
    return isinstance(obj, type) and issubclass(obj, type)


def is_memberless_enum(obj):
    try:
        return isinstance(obj, enum.EnumMeta) and not obj._member_map_
    except Exception:
        return False
