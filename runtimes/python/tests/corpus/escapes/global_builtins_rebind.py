# expect: dunder-assignment
def run():
    global __builtins__
    __builtins__ = {}
