# expect: banned-import
import importlib as il


def load(name):
    return il.import_module(name)
