# expect: dunder-attribute
def outer():
    secret = 1

    def inner():
        return secret
    return inner.__closure__[0].cell_contents
