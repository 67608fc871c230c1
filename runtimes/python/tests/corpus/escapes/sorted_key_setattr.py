# expect: dynamic-attribute
def run(objs):
    return sorted(objs, key=setattr)
