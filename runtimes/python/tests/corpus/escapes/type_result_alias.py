# expect: dynamic-class
def run():
    meta = type(int)
    return meta("X", (), {"__reduce__": None})
