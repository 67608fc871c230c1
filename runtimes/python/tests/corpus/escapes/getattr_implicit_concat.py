# expect: dynamic-attribute
def run(obj):
    return getattr(obj, "_" "_glo" "bals__")
