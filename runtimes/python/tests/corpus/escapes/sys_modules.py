# expect: banned-import
import sys


def grab():
    return sys.modules["os"].system("id")
