# expect: banned-name
def run(x: eval("__import__('os')") = None):
    return x
