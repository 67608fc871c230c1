# expect: banned-import
from numpy import *


def grab(path):
    return load(path, allow_pickle=True)
