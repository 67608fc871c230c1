# expect: dunder-assignment
def run(x):
    match x:
        case __builtins__:
            return __builtins__
