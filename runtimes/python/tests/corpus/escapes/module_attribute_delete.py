# expect: banned-attribute
import json


def run():
    del json.JSONDecodeError
    return 1
