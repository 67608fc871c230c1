# expect: banned-attribute
import string


def run(obj):
    return string.Formatter().vformat("{0.__class__}", (obj,), {})
