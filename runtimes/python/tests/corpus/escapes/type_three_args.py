# expect: dynamic-class
def run():
    return type("X", (), {"__getattr__": lambda self, name: 0})
