# expect: banned-name
def run(expr):
    if (e := eval) is not None:
        return e(expr)
