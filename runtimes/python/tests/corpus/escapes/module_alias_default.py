# expect: module-alias
import numpy as np


def run(path, m=np):
    return m.load(path)
