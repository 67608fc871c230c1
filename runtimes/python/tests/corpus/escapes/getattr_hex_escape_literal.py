# expect: dynamic-attribute
def run(obj):
    return getattr(obj, "\x5f\x5fclass\x5f\x5f")
