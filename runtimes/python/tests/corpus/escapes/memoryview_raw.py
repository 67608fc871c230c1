# expect: banned-name
def raw(data):
    return memoryview(data).cast("B")
