# expect: dunder-attribute
import numpy as np


def run(path):
    return np.__getattribute__("load")(path, allow_pickle=True)
