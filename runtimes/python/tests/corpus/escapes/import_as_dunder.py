# expect: dunder-assignment
import json as __builtins__


def run():
    return 1
