"""Validate JSON documents against a small subset of JSON Schema using match statements."""
import json
import re
from typing import Any, Dict, List

TYPE_MAP = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "object": dict, "array": list, "null": type(None)}


def validate_document(document: str, schema: Dict[str, Any]) -> dict:
    try:
        value = json.loads(document)
    except json.JSONDecodeError as exc:
        return {"valid": False, "errors": [f"invalid JSON: {exc.msg} (line {exc.lineno})"]}
    errors = validate(value, schema)
    return {"valid": not errors, "errors": errors}


def _type_ok(value: Any, expected: str) -> bool:
    if expected in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, TYPE_MAP[expected])


def validate(value: Any, schema: Dict[str, Any], path: str = "$") -> List[str]:
    errors: List[str] = []
    match schema:
        case {"type": str(t)} if not _type_ok(value, t):
            return [f"{path}: expected {t}, got {type(value).__name__}"]
        case {"enum": list(options)} if value not in options:
            errors.append(f"{path}: {value!r} not in {options}")
    match value:
        case dict():
            for key in schema.get("required", []):
                if key not in value:
                    errors.append(f"{path}: missing required property '{key}'")
            for key, sub in schema.get("properties", {}).items():
                if key in value:
                    errors.extend(validate(value[key], sub, f"{path}.{key}"))
            if schema.get("additionalProperties") is False:
                extra = set(value) - set(schema.get("properties", {}))
                errors.extend(f"{path}: unexpected property '{k}'" for k in sorted(extra))
        case list():
            if "minItems" in schema and len(value) < schema["minItems"]:
                errors.append(f"{path}: fewer than {schema['minItems']} items")
            for i, item in enumerate(value):
                errors.extend(validate(item, schema.get("items", {}), f"{path}[{i}]"))
        case str():
            if "pattern" in schema and not re.search(schema["pattern"], value):
                errors.append(f"{path}: does not match /{schema['pattern']}/")
            if len(value) > schema.get("maxLength", len(value)):
                errors.append(f"{path}: longer than {schema['maxLength']}")
        case int() | float() if not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                errors.append(f"{path}: {value} < minimum {schema['minimum']}")
            if "maximum" in schema and value > schema["maximum"]:
                errors.append(f"{path}: {value} > maximum {schema['maximum']}")
    return errors


if __name__ == "__main__":
    schema = {"type": "object", "required": ["hash", "size"], "additionalProperties": False,
              "properties": {"hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "size": {"type": "integer", "minimum": 1},
                             "tags": {"type": "array", "items": {"type": "string", "enum": ["png", "jpg"]}}}}
    print(validate_document('{"hash": "abc", "size": 0, "tags": ["gif"], "x": 1}', schema))
