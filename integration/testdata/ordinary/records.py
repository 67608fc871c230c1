import json
import re

KEY_RE = re.compile(r"[^a-z0-9]+")


def snake(key):
    return KEY_RE.sub("_", key.strip().lower()).strip("_")


def normalize(payload: str, sort_keys: bool = True):
    """Parses a JSON document and snake_cases every key, recursively."""

    def walk(value):
        if isinstance(value, dict):
            return {snake(k): walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    doc = walk(json.loads(payload))
    return {"keys": sorted(doc) if sort_keys else list(doc), "doc": doc,
            "compact": json.dumps(doc, sort_keys=True, separators=(",", ":"))}
