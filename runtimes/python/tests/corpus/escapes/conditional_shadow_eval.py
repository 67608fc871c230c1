# expect: banned-name
if False:
    eval = print


def run(expr):
    return eval(expr)
