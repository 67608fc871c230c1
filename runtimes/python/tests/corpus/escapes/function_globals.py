# expect: dunder-attribute
def helper():
    pass


def run():
    return helper.__globals__["__builtins__"]
