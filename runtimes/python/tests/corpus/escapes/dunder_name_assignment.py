# expect: dunder-assignment
__name__ = "__main__"

if __name__ == "__main__":
    import os
    os.system("id")
