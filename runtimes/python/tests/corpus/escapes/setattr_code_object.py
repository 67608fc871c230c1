# expect: dynamic-attribute
def run(f, g):
    setattr(f, "__code__", g)
