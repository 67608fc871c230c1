"""The signature the checker reads from the source: parameter kinds,
annotations, defaults, JSON-schema fragments, docstring, return type."""
import unittest

from test_checker_support import check

SOURCE = '''
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union, Literal


def enhanced_scan(image_data: str, /, threshold: float = 0.5, *extra, mode: Literal["fast", "slow"] = "fast",
                  tags: Optional[List[str]] = None, limits: Dict[str, int] = {"a": 1}, **options) -> dict:
    """Scan an image.

    Returns a report.
    """
    return {}
'''


def _params(resp):
    return {p["name"]: p for p in resp["function"]["params"]}


class Signature(unittest.TestCase):
    def test_full_signature(self):
        resp = check(SOURCE, function="enhanced_scan")
        fn = resp["function"]
        self.assertEqual(fn["name"], "enhanced_scan")
        self.assertEqual(fn["doc"], "Scan an image.\n\nReturns a report.")
        self.assertEqual(fn["returns"], "dict")
        self.assertEqual(fn["return_schema"], {"type": "object"})
        self.assertFalse(fn["async"])
        self.assertEqual(fn["params"], [
            {"name": "image_data", "kind": "positional_only", "annotation": "str", "default": None,
             "required": True, "schema": {"type": "string"}},
            {"name": "threshold", "kind": "positional_or_keyword", "annotation": "float", "default": "0.5",
             "required": False, "schema": {"type": "number", "default": 0.5}},
            {"name": "extra", "kind": "var_positional", "annotation": None, "default": None,
             "required": False, "schema": {}},
            {"name": "mode", "kind": "keyword_only", "annotation": "Literal['fast', 'slow']", "default": "'fast'",
             "required": False, "schema": {"enum": ["fast", "slow"], "default": "fast"}},
            {"name": "tags", "kind": "keyword_only", "annotation": "Optional[List[str]]", "default": "None",
             "required": False, "schema": {"type": "array", "items": {"type": "string"}, "nullable": True, "default": None}},
            {"name": "limits", "kind": "keyword_only", "annotation": "Dict[str, int]", "default": "{'a': 1}",
             "required": False, "schema": {"type": "object", "additionalProperties": {"type": "integer"}, "default": {"a": 1}}},
            {"name": "options", "kind": "var_keyword", "annotation": None, "default": None,
             "required": False, "schema": {}},
        ])

    def test_annotation_schemas(self):
        cases = {
            "int": {"type": "integer"},
            "bool": {"type": "boolean"},
            "bytes": {"type": "string"},
            "list": {"type": "array"},
            "list[int]": {"type": "array", "items": {"type": "integer"}},
            "Sequence[float]": {"type": "array", "items": {"type": "number"}},
            "tuple[int, ...]": {"type": "array", "items": {"type": "integer"}},
            "Tuple[int, int]": {"type": "array", "items": {"type": "integer"}},
            "Tuple[int, str]": {"type": "array"},
            "dict": {"type": "object"},
            "Mapping[str, Any]": {"type": "object"},
            "Optional[int]": {"type": "integer", "nullable": True},
            "int | None": {"type": "integer", "nullable": True},
            "Union[int, None]": {"type": "integer", "nullable": True},
            "Union[int, str]": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            "Any": {},
            "'int'": {"type": "integer"},
            "np.ndarray": {"type": "array"},
            "SomethingElse": {},
        }
        for ann, want in cases.items():
            with self.subTest(annotation=ann):
                src = f"import numpy as np\nfrom typing import *\n\ndef f(x: {ann}):\n    pass\n"
                self.assertEqual(_params(check(src))["x"]["schema"], want)

    def test_unannotated_and_non_literal_defaults(self):
        src = "import math\n\ndef f(a, b=math.pi, c=(1, 2), d=float('nan')):\n    pass\n"
        params = _params(check(src))
        self.assertEqual(params["a"]["schema"], {})
        self.assertTrue(params["a"]["required"])
        self.assertEqual(params["b"]["default"], "math.pi")
        self.assertEqual(params["b"]["schema"], {})
        self.assertEqual(params["c"]["schema"], {"default": [1, 2]})
        self.assertEqual(params["d"]["schema"], {})

    def test_async_function(self):
        resp = check("async def f(x: int) -> int:\n    return x\n")
        self.assertTrue(resp["function"]["async"])
        self.assertEqual(resp["function"]["return_schema"], {"type": "integer"})
        self.assertIsNone(resp["function"]["doc"])

    def test_last_definition_wins(self):
        resp = check("def f(a):\n    pass\n\ndef f(b):\n    pass\n")
        self.assertEqual([p["name"] for p in resp["function"]["params"]], ["b"])


if __name__ == "__main__":
    unittest.main()
