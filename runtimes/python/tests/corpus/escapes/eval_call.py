# expect: banned-name
def calc(expr):
    return eval(expr)
