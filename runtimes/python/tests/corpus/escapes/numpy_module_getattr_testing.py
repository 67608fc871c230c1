# expect: dunder-attribute
import numpy as np


def run(code):
    return np.__getattr__("testing").runstring(code, {})
