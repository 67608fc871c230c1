# expect: banned-name
calc = lambda expr, e=eval: e(expr)


def run(expr):
    return calc(expr)
