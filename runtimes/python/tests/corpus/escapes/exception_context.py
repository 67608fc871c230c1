# expect: dunder-attribute
def run():
    try:
        try:
            raise KeyError
        except KeyError:
            raise ValueError
    except ValueError as e:
        return e.__context__
