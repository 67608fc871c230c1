# expect: format-traversal
def run(obj):
    return "{0.__class__.__mro__}".format(obj)
