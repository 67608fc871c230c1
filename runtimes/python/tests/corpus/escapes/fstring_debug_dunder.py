# expect: dunder-attribute
def run(obj):
    return f"{obj.__class__.__base__=}"
