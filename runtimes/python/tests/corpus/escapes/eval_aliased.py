# expect: banned-name
run = eval


def calc(expr):
    return run(expr)
