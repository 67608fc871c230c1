# expect: dunder-attribute
# x.__class__.__name__ is allowed as a whole; the class object itself is not.
def run(x=1):
    cls = (x.__class__).__name__ and x.__class__
    return cls.__subclasses__()
