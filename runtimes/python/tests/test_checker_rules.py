"""Table tests: exact rule ids, lines and columns for small snippets, one
group per class of rule."""
import ast
import unittest

from test_checker_support import check, checker, found, lib, policy

CASES = [
    # imports
    ('import os\n',
     [('banned-import', 1, 0)]),
    ('def f():\n    import subprocess\n',
     [('banned-import', 2, 4)]),
    ('from os import path as p\n',
     [('banned-import', 1, 0)]),
    ('import numpy\nimport numpy.f2py\n',
     [('banned-import', 2, 0)]),
    ('from PIL import Image, ImageGrab\n',
     [('banned-import', 1, 0)]),
    ('from . import sibling\n',
     [('banned-import', 1, 0)]),
    ('import json, zlib as z\nfrom collections import abc\nfrom __future__ import annotations\n',
     []),
    # banned names
    ("x = eval('1')\n",
     [('banned-name', 1, 4)]),
    ('def f(g=exec):\n    return g\n',
     [('banned-name', 1, 8)]),
    ('def f(xs):\n    return sorted(xs, key=open)\n',
     [('banned-name', 2, 26)]),
    ('def f(input, compile=None):\n    return input, compile\n',
     []),
    ('help = 1\nhelp()\n',
     [('banned-name', 2, 0)]),
    # dynamic attributes
    ("def f(o):\n    return getattr(o, 'name'), getattr(o, 'x', None), hasattr(o, '__len__'), setattr(o, 'y', 1)\n",
     []),
    ('def f(o, n):\n    return getattr(o, n)\n',
     [('dynamic-attribute', 2, 22)]),
    ("def f(o):\n    return getattr(o, '_private')\n",
     [('dynamic-attribute', 2, 22)]),
    ('g = getattr\n',
     [('dynamic-attribute', 1, 4)]),
    ("def f(o):\n    return delattr(o, 'gi_frame')\n",
     [('internal-attribute', 2, 22)]),
    ("def f(o):\n    return getattr(o, 'format')\n",
     [('dynamic-format', 2, 22)]),
    # dunder attributes and names
    ('def f(o):\n    return o.__dict__\n',
     [('dunder-attribute', 2, 11)]),
    ('def f(o):\n    o.__class__ = int\n',
     [('dunder-attribute', 2, 4)]),
    ('def f(o):\n    return o.__name__, o.__doc__, o.__qualname__, o.__module__\n',
     []),
    ('class A:\n    def __init__(self):\n        super().__init__()\n    def __eq__(self, o):\n        return object.__eq__(self, o)\n',
     []),
    ('print(__builtins__)\nprint(__spec__, __loader__)\n',
     [('banned-name', 1, 6), ('banned-name', 2, 6), ('banned-name', 2, 16)]),
    ('def f():\n    return __annotations__, __class__\n',
     [('dunder-name', 2, 11), ('dunder-name', 2, 28)]),
    ('print(__name__, __file__, __doc__)\n',
     []),
    # dunder bindings
    ("__name__ = 'x'\n__all__ = ['f']\n__version__ = '1'\n",
     [('dunder-assignment', 1, 0)]),
    ('def f():\n    __all__ = 1\n',
     [('dunder-assignment', 2, 4)]),
    ('import json as __loader__\n',
     [('dunder-assignment', 1, 7)]),
    ("class A:\n    __slots__ = ('a',)\n    __hash__ = None\n    __qualname__ = 'B'\n",
     [('dunder-definition', 4, 4)]),
    # dunder definitions
    ("class A:\n    def __getattribute__(self, n):\n        return 1\n    def __repr__(self):\n        return 'A'\n",
     [('dunder-definition', 2, 4)]),
    ('class A:\n    def __reduce_ex__(self, p):\n        return ()\n',
     [('dunder-definition', 2, 4)]),
    # interpreter internals
    ('def f(g):\n    return g.gi_frame\n',
     [('internal-attribute', 2, 11)]),
    ('def f(t):\n    return t.tb_next, t.co_code\n',
     [('internal-attribute', 2, 11), ('internal-attribute', 2, 22)]),
    # banned attributes
    ("import numpy as np\nnp.save('x', 1)\n",
     [('banned-attribute', 2, 0)]),
    ('def f(a):\n    return a.tofile, a.dump\n',
     [('banned-attribute', 2, 11), ('banned-attribute', 2, 21)]),
    ("import operator\nf = operator.attrgetter('x')\n",
     [('banned-attribute', 2, 4)]),
    # private attributes
    ('import json\nx = json._default_encoder\n',
     [('private-attribute', 2, 4)]),
    ('def f(o):\n    return o._cache, o._asdict()\n',
     []),
    # format strings
    ("x = '{0.real}'.format(1)\n",
     [('format-traversal', 1, 4)]),
    ("x = '{0[k]}'.format({})\n",
     [('format-traversal', 1, 4)]),
    ("x = '{} {:>{w}}'.format(1, 2, w=3)\n",
     []),
    ('def f(t):\n    return t.format(1)\n',
     [('dynamic-format', 2, 11)]),
    ("def f(t):\n    return str.format(t, 1), str.format('{}', 1)\n",
     [('dynamic-format', 2, 11)]),
    ('def f(im):\n    return im.format\n',
     []),
    # dynamic classes
    ("X = type('X', (), {})\n",
     [('dynamic-class', 1, 4)]),
    ('class M(type):\n    pass\n',
     [('dynamic-class', 1, 8)]),
    ('def f(x):\n    return type(x)(1, 2, 3)\n',
     [('dynamic-class', 2, 11)]),
    ("import enum\nE = enum.Enum('E', 'A B')\nF = enum.Enum('F', ['_x'])\n",
     [('dynamic-class', 3, 20)]),
    ('def f(x):\n    return type(x) is int, type(x).__name__, isinstance(x, type)\n',
     []),
    # module aliasing
    ('import json\nx = json\n',
     [('module-alias', 2, 4)]),
    ('import json\ndef f(m=json):\n    pass\n',
     [('module-alias', 2, 8)]),
    ('import json\nif json is not None and json:\n    pass\n',
     []),
    ('import json\ndef f():\n    return [json]\n',
     [('module-alias', 3, 12)]),
    # undefined names
    ('def f():\n    return nothing_here\n',
     [('undefined-name', 2, 11)]),
    ('def f():\n    return len, later\nlater = 1\n',
     []),
    # encoding declarations
    ('# vim: set fileencoding=latin-1 :\nx = 1\n',
     [('encoding-declaration', 1, 0)]),
    ('#!/usr/bin/env python3\n# -*- coding: cp1252 -*-\n',
     [('encoding-declaration', 2, 0)]),
    ('x = 1\n# -*- coding: cp1252 -*-\n',
     []),
    # syntax errors
    ('def f(:\n',
     [('syntax-error', 1, 6)]),
    # plain code
    ('x = 1\n',
     []),
    # main guard
    ("if __name__ == '__main__':\n    import os\n    os.system('x')\nelse:\n    import os\n",
     [('banned-import', 5, 4)]),
    ("if __name__ == '__main__':\n    __name__ = 'y'\n",
     [('dunder-assignment', 2, 4)]),
    ("def f():\n    if __name__ == '__main__':\n        import os\n",
     [('banned-import', 3, 8)]),
    # match statements
    ("def f(x):\n    match x:\n        case {'k': v, **__rest__}:\n            return v\n        case object(gi_frame=g):\n            return g\n",
     [('dunder-assignment', 3, 13), ('internal-attribute', 5, 13)]),
    ("class P:\n    __match_args__ = ('x', '_y')\n",
     [('dynamic-attribute', 2, 27)]),
    # string annotations
    ("def f(x: 'eval') -> 'List[__import__]':\n    pass\n",
     [('banned-name', 1, 9), ('banned-name', 1, 20)]),
    ("from typing import Literal, Annotated\ndef f(x: Literal['eval'], y: Annotated[int, 'open']):\n    pass\n",
     []),
]


class RuleTable(unittest.TestCase):
    def test_table(self):
        for source, want in CASES:
            with self.subTest(source=source):
                self.assertEqual(found(source), want)

    def test_every_rule_is_exercised(self):
        seen = {rule for _, want in CASES for rule, _, _ in want}
        seen |= {"unknown-node", "invalid-source", "too-complex"}  # tests below
        self.assertEqual(seen, set(policy.RULES))

    def test_messages_say_what_to_do(self):
        resp = check("import os\n")
        msg = resp["violations"][0]["message"]
        self.assertIn("import of 'os' is not allowed", msg)
        self.assertIn("allowed modules are", msg)


class Normalisation(unittest.TestCase):
    def test_fullwidth_identifier_is_normalised_by_the_parser(self):
        self.assertEqual(found("x = \uff45val('1')\n"), [("banned-name", 1, 4)])

    def test_fullwidth_string_literal_is_normalised_before_checks(self):
        self.assertEqual(found("def f(o):\n    return getattr(o, '\uff45val')\n"), [("banned-attribute", 2, 22)])
        self.assertEqual(found("def f(o):\n    return getattr(o, '\uff3f\uff3fclass\uff3f\uff3f')\n"),
                         [("dynamic-attribute", 2, 22)])

    def test_fullwidth_format_field(self):
        self.assertEqual(found("x = '{0\uff0ereal}'.format(1)\n"), [("format-traversal", 1, 4)])


class Sources(unittest.TestCase):
    def test_nul_bytes(self):
        self.assertEqual(found("x = 1\0\n"), [("invalid-source", 1, 0)])

    def test_lone_surrogate_is_not_utf8(self):
        self.assertEqual(found("x = '\ud800'\n"), [("invalid-source", 1, 0)])

    def test_byte_order_mark_is_accepted(self):
        self.assertEqual(found("\ufeffdef f():\n    return 1\n"), [])

    def test_utf8_declaration_is_accepted(self):
        self.assertEqual(found("# -*- coding: utf-8 -*-\nx = 1\n"), [])
        self.assertEqual(found("#!/usr/bin/env python3\n# coding=UTF_8\nx = 1\n"), [])

    def test_deep_nesting_is_a_violation_not_a_crash(self):
        for source in ("x = " + "-" * 100000 + "1\n", "x = a" + ".b" * 50000 + "\n",
                       "x = " + "+".join(["a"] * 50000) + "\n", "x = " + "lambda: " * 3000 + "1\n"):
            with self.subTest(source=source[:20]):
                self.assertIn(("too-complex", 1, 0), found(source))

    def test_violations_are_capped(self):
        source = "".join(f"x{i} = eval\n" for i in range(policy.MAX_VIOLATIONS + 20))
        resp = check(source)
        self.assertTrue(resp["truncated"])
        self.assertEqual(len(resp["violations"]), policy.MAX_VIOLATIONS)

    def test_dunder_keyword_arguments(self):
        self.assertEqual(found("def f(g):\n    return g(x=1, __dict__=2)\n"), [("dunder-assignment", 2, 18)])

    def test_readable_dunders_can_be_imported(self):
        self.assertEqual(found("from numpy import __version__\nfrom numpy import __config__\n"),
                         [("banned-import", 2, 0), ("dunder-assignment", 2, 18)])

    def test_unknown_node_type(self):
        class Mystery(ast.expr):
            _fields = ()

        an = checker.Analysis(lib(), {"m.py": "x = 1\n"})
        an.need("m")
        an.follow()
        fi = an.infos["m.py"]
        fi.tree.body[0].value = Mystery(lineno=1, col_offset=4, end_lineno=1, end_col_offset=5)
        checker.Walker(an, fi).run()
        self.assertEqual([(v["rule"], v["line"], v["col"]) for v in fi.violations.items], [("unknown-node", 1, 4)])


if __name__ == "__main__":
    unittest.main()
