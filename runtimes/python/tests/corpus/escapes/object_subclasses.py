# expect: dunder-attribute
def run():
    return [c for c in object.__subclasses__() if c.__name__ == "Popen"]
