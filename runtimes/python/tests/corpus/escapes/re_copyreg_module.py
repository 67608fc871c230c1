# expect: banned-attribute
import re


def run(cls, reducer):
    re.copyreg.pickle(cls, reducer)
