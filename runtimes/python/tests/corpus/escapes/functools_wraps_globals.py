# expect: dynamic-attribute
import functools
import json


def run(wrapper):
    functools.update_wrapper(wrapper, json.dumps, assigned=(), updated=("__globals__",))
    return wrapper
