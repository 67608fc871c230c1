# expect: banned-attribute
import numpy as np


def run(code):
    return np.testing.runstring(code, {})
