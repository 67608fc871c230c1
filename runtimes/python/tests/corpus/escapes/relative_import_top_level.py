# expect: banned-import
from . import secrets_module


def f():
    return secrets_module
