# expect: dunder-attribute
def run(x):
    match x:
        case object(__class__=cls):
            return cls
