"""The escape corpus must be rejected with the rule each file names; the
ordinary corpus (realistic agent modules) must pass untouched."""
import ast
import glob
import importlib
import os
import sys
import unittest

from test_checker_support import CORPUS, check, policy


def _top_level_functions(source):
    tree = ast.parse(source)
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _read(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()


class EscapeCorpus(unittest.TestCase):
    def test_corpus_is_large_enough(self):
        self.assertGreaterEqual(len(glob.glob(os.path.join(CORPUS, "escapes", "*.py"))), 45)

    def test_every_escape_is_rejected_with_its_rule(self):
        for path in sorted(glob.glob(os.path.join(CORPUS, "escapes", "*.py"))):
            name = os.path.basename(path)
            with self.subTest(escape=name):
                source = _read(path)
                first = source.splitlines()[0]
                self.assertTrue(first.startswith("# expect: "), "first line must be '# expect: <rule-id>'")
                expected = first.split(":", 1)[1].strip()
                self.assertIn(expected, policy.RULES)
                try:
                    function = (_top_level_functions(source) or ["run"])[0]
                except SyntaxError:
                    function = "run"
                resp = check(files={name: source}, module=name[:-3], function=function)
                self.assertNotIn("error", resp)
                got = [v["rule"] for v in resp["violations"]]
                self.assertIn(expected, got, f"{name}: expected {expected}, got {resp['violations']}")
                for v in resp["violations"]:
                    self.assertTrue(v["message"], "every violation carries a message")
                    self.assertEqual(v["file"], name)


class OrdinaryCorpus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        paths = sorted(glob.glob(os.path.join(CORPUS, "ordinary", "*.py")))
        # One sandbox holding every ordinary module: some import each other.
        cls.files = {os.path.basename(p): _read(p) for p in paths}

    def test_corpus_is_large_enough(self):
        self.assertGreaterEqual(len(self.files), 25)

    def test_every_ordinary_module_passes(self):
        for name, source in sorted(self.files.items()):
            with self.subTest(module=name):
                function = _top_level_functions(source)[0]
                resp = check(files=self.files, module=name[:-3], function=function)
                self.assertNotIn("error", resp)
                self.assertEqual(resp["violations"], [], f"{name} was rejected")
                self.assertEqual(resp["module"], name[:-3])
                self.assertIsNotNone(resp["function"])
                self.assertEqual(resp["function"]["name"], function)
                self.assertIn(name, resp["files"])

    def test_every_ordinary_module_imports(self):
        # Passing the checker is half of it: each module must also import
        # (run its top level) with the runtime's numpy and PIL. Main blocks
        # are not run: the platform never runs them, so the checker lets
        # them read files (sys.argv, open) as a script would.
        folder = os.path.join(CORPUS, "ordinary")
        before = set(sys.modules)
        sys.path.insert(0, folder)
        try:
            for name, source in sorted(self.files.items()):
                with self.subTest(module=name):
                    module = importlib.import_module(name[:-3])
                    self.assertTrue(callable(getattr(module, _top_level_functions(source)[0])))
        finally:
            sys.path.remove(folder)
            # The checker must not find them as installed modules later.
            for name in set(sys.modules) - before:
                if (getattr(sys.modules[name], "__file__", None) or "").startswith(folder + os.sep):
                    del sys.modules[name]
            importlib.invalidate_caches()

    def test_helper_import_is_reachable(self):
        resp = check(files=self.files, module="uses_helpers", function="plane_entropy")
        self.assertEqual(resp["files"], ["stego_helpers.py", "uses_helpers.py"])


if __name__ == "__main__":
    unittest.main()
