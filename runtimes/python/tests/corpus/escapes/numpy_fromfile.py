# expect: banned-attribute
import numpy as np


def run():
    return np.fromfile("/etc/shadow", dtype=np.uint8)
