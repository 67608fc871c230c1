# expect: module-alias
import numpy as np


def run(path):
    return [np][0].load(path)
