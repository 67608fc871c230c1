# expect: banned-name
def run(expr):
    return __builtins__["eval"](expr)
