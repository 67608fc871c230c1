"""Import resolution: which sandbox files a module reaches, and that every
reachable file is checked with the same policy."""
import unittest

from test_checker_support import check


def _files(resp):
    return resp["files"]


class Resolution(unittest.TestCase):
    def test_local_module_shadowing_stdlib_is_not_reachable(self):
        # The runtime puts the sandbox last on sys.path: `import json` is the
        # standard library's, so the sandbox json.py never loads.
        resp = check(files={
            "m.py": "import json\n\ndef f():\n    return json.dumps({})\n",
            "json.py": "import os\n",
        })
        self.assertEqual(_files(resp), ["m.py"])
        self.assertEqual(resp["violations"], [])

    def test_local_module_shadowing_installed_package_is_not_reachable(self):
        resp = check(files={"m.py": "import numpy as np\n\ndef f():\n    return np.zeros(1)\n", "numpy.py": "import os\n"})
        self.assertEqual(_files(resp), ["m.py"])
        self.assertEqual(resp["violations"], [])

    def test_helper_is_reachable(self):
        resp = check(files={
            "m.py": "import helpers\n\ndef f():\n    return helpers.g()\n",
            "helpers.py": "def g():\n    return 1\n",
            "unused.py": "import os\n",
        })
        self.assertEqual(_files(resp), ["helpers.py", "m.py"])
        self.assertEqual(resp["violations"], [])

    def test_import_inside_a_function_counts(self):
        resp = check(files={
            "m.py": "def f():\n    import helpers\n    return helpers.g()\n",
            "helpers.py": "def g():\n    return 1\n",
        })
        self.assertEqual(_files(resp), ["helpers.py", "m.py"])

    def test_violation_in_reachable_helper_names_its_file(self):
        resp = check(files={
            "m.py": "from helpers import g\n\ndef f():\n    return g()\n",
            "helpers.py": "import subprocess\n\ndef g():\n    return subprocess.run('id')\n",
        })
        self.assertEqual([(v["file"], v["rule"], v["line"], v["col"]) for v in resp["violations"]],
                         [("helpers.py", "banned-import", 1, 0)])

    def test_transitive_imports(self):
        resp = check(files={
            "m.py": "import a\n\ndef f():\n    return a.x\n",
            "a.py": "import b\nx = b.y\n",
            "b.py": "y = 1\n",
        })
        self.assertEqual(_files(resp), ["a.py", "b.py", "m.py"])

    def test_import_cycle(self):
        resp = check(files={
            "m.py": "import a\n\ndef f():\n    return a.x\n",
            "a.py": "import m\nx = 1\n",
        })
        self.assertEqual(_files(resp), ["a.py", "m.py"])
        self.assertEqual(resp["violations"], [])

    def test_packages_and_relative_imports(self):
        resp = check(files={
            "m.py": "from pkg import util\nfrom pkg.util import helper\nimport pkg.sub.deep\n\n"
                    "def f():\n    return util.helper() + helper() + pkg.sub.deep.X\n",
            "pkg/__init__.py": "from . import util\nfrom .util import helper\n",
            "pkg/util.py": "from . import sub\nfrom .sub.deep import X\n\ndef helper():\n    return X\n",
            "pkg/sub/__init__.py": "from .. import util\n",
            "pkg/sub/deep.py": "X = 1\n",
            "pkg/unused.py": "import os\n",
        })
        self.assertEqual(_files(resp), ["m.py", "pkg/__init__.py", "pkg/sub/__init__.py", "pkg/sub/deep.py", "pkg/util.py"])
        self.assertEqual(resp["violations"], [])

    def test_namespace_package(self):
        resp = check(files={"m.py": "import ns.mod\n\ndef f():\n    return ns.mod.X\n", "ns/mod.py": "X = 1\n"})
        self.assertEqual(_files(resp), ["m.py", "ns/mod.py"])
        self.assertEqual(resp["violations"], [])

    def test_package_beats_module_of_the_same_name(self):
        resp = check(files={
            "m.py": "import dup\n\ndef f():\n    return dup.X\n",
            "dup.py": "X = 1\n",
            "dup/__init__.py": "import os\nX = 2\n",
        })
        self.assertEqual(_files(resp), ["dup/__init__.py", "m.py"])
        self.assertEqual([v["file"] for v in resp["violations"]], ["dup/__init__.py"])

    def test_relative_import_outside_a_package(self):
        resp = check(files={"m.py": "from . import helpers\n\ndef f():\n    pass\n", "helpers.py": "x = 1\n"})
        self.assertEqual([(v["rule"], v["line"]) for v in resp["violations"]], [("banned-import", 1)])
        self.assertEqual(_files(resp), ["m.py"])

    def test_relative_import_beyond_the_top_package(self):
        resp = check(files={"m.py": "import pkg\n\ndef f():\n    pass\n", "pkg/__init__.py": "from .. import m\n"})
        self.assertEqual([(v["file"], v["rule"]) for v in resp["violations"]], [("pkg/__init__.py", "banned-import")])

    def test_missing_sandbox_module(self):
        resp = check("import nowhere\n\ndef f():\n    pass\n")
        self.assertEqual([(v["rule"], v["line"]) for v in resp["violations"]], [("banned-import", 1)])
        self.assertIn("nowhere", resp["violations"][0]["message"])

    def test_missing_sandbox_submodule(self):
        resp = check(files={"m.py": "import pkg.nope\n\ndef f():\n    pass\n", "pkg/__init__.py": ""})
        self.assertEqual([v["rule"] for v in resp["violations"]], ["banned-import"])

    def test_main_block_imports_are_not_followed(self):
        resp = check(files={
            "m.py": "def f():\n    pass\n\nif __name__ == '__main__':\n    import tool\n    import sys\n",
            "tool.py": "import os\n",
        })
        self.assertEqual(_files(resp), ["m.py"])
        self.assertEqual(resp["violations"], [])

    def test_module_reexported_by_a_helper_is_still_resolved(self):
        files = {"helpers.py": "import numpy as np\n\ndef g():\n    pass\n"}
        for src in ("import helpers\n\ndef f(p):\n    return helpers.np.load(p)\n",
                    "from helpers import np\n\ndef f(p):\n    return np.load(p)\n",
                    "from helpers import *\n\ndef f(p):\n    return np.load(p)\n"):
            with self.subTest(src=src):
                resp = check(src, files=files)
                self.assertEqual([(v["file"], v["rule"]) for v in resp["violations"]], [("m.py", "banned-attribute")])

    def test_invalid_paths_are_never_reachable(self):
        resp = check(files={"m.py": "def f():\n    pass\n", "../evil.py": "import os\n", "/abs.py": "", "a\\b.py": ""})
        self.assertEqual(_files(resp), ["m.py"])


class EntryModule(unittest.TestCase):
    def test_module_not_found(self):
        resp = check(files={"other.py": "def f():\n    pass\n"}, module="improvements")
        self.assertEqual(resp["error"], "module_not_found")
        self.assertEqual(resp["module"], "improvements")

    def test_function_not_defined_at_top_level(self):
        resp = check("class A:\n    def f(self):\n        pass\n\nif True:\n    def f():\n        pass\n")
        self.assertIsNone(resp["function"])
        self.assertEqual(resp["module"], "m")

    def test_discovery_single_candidate(self):
        files = {"a.py": "def scan():\n    pass\n", "b.py": "def other():\n    pass\n", "pkg/c.py": "def scan():\n    pass\n"}
        resp = check(files=files, module=None, function="scan")
        self.assertEqual(resp["candidates"], ["a"])
        self.assertEqual(resp["module"], "a")
        self.assertEqual(resp["function"]["name"], "scan")
        self.assertEqual(resp["files"], ["a.py"])

    def test_discovery_ambiguous(self):
        files = {"b.py": "async def scan():\n    pass\n", "a.py": "def scan():\n    pass\n"}
        resp = check(files=files, module=None, function="scan")
        self.assertEqual(resp, {"id": 1, "candidates": ["a", "b"], "module": None, "function": None, "files": [], "violations": []})

    def test_discovery_none(self):
        resp = check(files={"a.py": "x = 1\n"}, module=None, function="scan")
        self.assertEqual(resp["candidates"], [])
        self.assertIsNone(resp["module"])


if __name__ == "__main__":
    unittest.main()
