# expect: banned-attribute
import numpy as np


def run(arr):
    arr.tofile("/tmp/out.bin")
