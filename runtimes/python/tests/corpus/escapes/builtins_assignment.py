# expect: dunder-assignment
__builtins__ = {"print": print}


def run():
    return 1
