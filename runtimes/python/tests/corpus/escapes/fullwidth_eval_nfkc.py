# expect: banned-name
def calc(expr):
    return ｅｖａｌ(expr)
