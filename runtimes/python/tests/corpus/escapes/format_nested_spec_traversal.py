# expect: format-traversal
def run(obj):
    return "{0:{0.__class__.__name__}}".format(obj)
