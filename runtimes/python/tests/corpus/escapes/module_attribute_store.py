# expect: banned-attribute
import json


def run():
    json.dumps = lambda *a, **k: "patched"
    return json.dumps(1)
