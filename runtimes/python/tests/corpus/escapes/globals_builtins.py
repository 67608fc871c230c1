# expect: banned-name
def run(expr):
    return globals()["__builtins__"].eval(expr)
