# expect: module-alias
import numpy


def get():
    return numpy


def run(path):
    return get().load(path)
