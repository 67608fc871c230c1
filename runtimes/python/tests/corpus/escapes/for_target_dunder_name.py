# expect: dunder-assignment
for __name__ in ["__main__"]:
    pass

if __name__ == "__main__":
    import os
