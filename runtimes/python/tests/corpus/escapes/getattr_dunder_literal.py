# expect: dynamic-attribute
def run(func):
    return getattr(func, "__globals__")["__builtins__"]
