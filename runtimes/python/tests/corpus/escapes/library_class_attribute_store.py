# expect: banned-attribute
import json


def hook(self, o):
    return repr(o)


def run():
    json.JSONEncoder.default = hook
    return json.dumps(object())
