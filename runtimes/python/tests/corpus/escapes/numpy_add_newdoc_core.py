# expect: banned-attribute
import numpy as np


def run():
    return np.core.function_base.add_newdoc("antigravity", "geohash", "x")
