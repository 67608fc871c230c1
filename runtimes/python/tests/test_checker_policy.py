"""Audits of the policy against the interpreter it runs in (the same image as
the runtime), so an image upgrade that opens a new path fails here."""
import builtins
import re
import types
import unittest

from test_checker_support import checker, lib, policy

# BANNED_OBJECTS entries that numpy 1.24 no longer has (kept for other versions).
ABSENT_IN_THIS_IMAGE = {"numpy.ma.load", "numpy.ma.loads", "numpy.ma.dump"}

# Names the checker reads from co_names when mining library-private hooks.
DANGEROUS_NAMES = {"eval", "exec", "compile", "__import__", "modules", "import_module", "globals", "system",
                   "popen", "_getframe", "f_globals", "vars"}

# Library-private callables that use a dangerous name but were reviewed as
# harmless (they never turn caller-supplied strings into code or modules).
REVIEWED_PRIVATE_HOOKS = {
    "_compile",  # re._compile: compiles regular expressions
    "_fix_up_module",  # abc.__loader__ internals, only reachable through a dunder
    "_is_type",  # dataclasses: reads sys.modules to answer a bool
}


class AllowedModules(unittest.TestCase):
    def test_every_allowed_module_imports(self):
        for name in sorted(policy.ALLOWED_MODULES):
            with self.subTest(module=name):
                self.assertIsNotNone(lib().module(name))

    def test_no_private_or_dangerous_module_is_allowed(self):
        for name in policy.ALLOWED_MODULES:
            parts = name.split(".")
            self.assertFalse(any(p.startswith("_") for p in parts) and name != "__future__", name)
        for banned in ("os", "sys", "builtins", "importlib", "ctypes", "subprocess", "socket", "types", "inspect",
                       "pickle", "marshal", "gc", "code", "io.open", "numpy.ctypeslib", "numpy.testing",
                       "numpy.lib.npyio", "numpy.lib.format", "PIL.ImageMath", "PIL.ImageShow", "PIL.ImageGrab"):
            self.assertNotIn(banned, policy.ALLOWED_MODULES)


class BannedObjects(unittest.TestCase):
    def test_banned_objects_resolve(self):
        for qual in policy.BANNED_OBJECTS:
            with self.subTest(object=qual):
                obj = lib().lookup(qual)
                if qual in ABSENT_IN_THIS_IMAGE:
                    self.assertIsNone(obj)
                else:
                    self.assertIsNotNone(obj)
                    self.assertIsNotNone(lib().banned(obj))

    def test_restricted_callables_resolve(self):
        for qual in policy.RESTRICTED_CALLABLES:
            self.assertIsNotNone(lib().restricted(lib().lookup(qual)), qual)

    def test_reexports_are_banned_by_identity(self):
        import numpy
        from numpy.lib import npyio
        self.assertIs(npyio.load, numpy.load)
        self.assertIsNotNone(lib().banned(npyio.load))


class MinedPaths(unittest.TestCase):
    """Walks every allowed module and its classes for paths to code
    execution that attribute syntax could reach."""

    def objects(self):
        seen = set()
        for modname in sorted(policy.ALLOWED_MODULES):
            mod = lib().module(modname)
            for name, value in vars(mod).items():
                yield modname, name, value
                if isinstance(value, type) and id(value) not in seen:
                    seen.add(id(value))
                    for cname, cvalue in vars(value).items():
                        yield f"{modname}.{name}", cname, cvalue

    def test_private_hooks_that_run_code_are_banned_or_reviewed(self):
        unreviewed = {}
        for where, name, value in self.objects():
            if not name.startswith("_") or checker.is_dunder(name):
                continue
            code = _code_of(value)
            if code is None or not (_names(code) & DANGEROUS_NAMES):
                continue
            if name in policy.BANNED_ATTRIBUTES or name in REVIEWED_PRIVATE_HOOKS:
                continue
            if "." not in where or where in policy.ALLOWED_MODULES:
                continue  # module-level private names are never reachable (private-attribute)
            unreviewed.setdefault(name, []).append(where)
        self.assertEqual(unreviewed, {}, "review these private hooks and ban or list them")

    def test_no_attribute_path_to_banned_builtins_or_modules(self):
        bad_builtins = {id(getattr(builtins, n)) for n in policy.BANNED_BUILTINS if hasattr(builtins, n)}
        leaks = []
        for where, name, value in self.objects():
            if checker.is_dunder(name) or name in policy.BANNED_ATTRIBUTES:
                continue
            if where in policy.MODULE_ATTRIBUTE_ALLOWLIST and name not in policy.MODULE_ATTRIBUTE_ALLOWLIST[where]:
                continue
            if id(value) in bad_builtins:
                leaks.append(f"{where}.{name}")
            elif isinstance(value, types.ModuleType) and "." in where and where not in policy.ALLOWED_MODULES:
                # a class attribute holding a module: reachable on instances
                if value.__name__ not in policy.ALLOWED_MODULES:
                    leaks.append(f"{where}.{name}")
        self.assertEqual(leaks, [])


class PolicyFile(unittest.TestCase):
    def test_every_knob_is_documented(self):
        doc = policy.__doc__
        for name in dir(policy):
            if re.fullmatch(r"[A-Z][A-Z_]+", name):
                with self.subTest(knob=name):
                    self.assertTrue(name in doc, f"{name} is not documented in the policy docstring")

    def test_dangerous_special_methods_stay_out(self):
        for name in ("__getattr__", "__getattribute__", "__reduce__", "__reduce_ex__", "__getstate__",
                     "__array_interface__", "__array_struct__", "__dlpack__", "__instancecheck__",
                     "__subclasscheck__", "__prepare__", "__mro_entries__", "__class__", "__dict__"):
            self.assertNotIn(name, policy.SPECIAL_METHODS)
            self.assertNotIn(name, policy.CLASS_DUNDER_ASSIGNMENTS)

    def test_rule_ids_are_documented(self):
        self.assertTrue(all(policy.RULES.values()))


def _code_of(value):
    for attr in ("fget", "__func__"):
        value = getattr(value, attr, value)
    return getattr(value, "__code__", None)


def _names(code):
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


if __name__ == "__main__":
    unittest.main()
