# expect: banned-name
def grab():
    return __import__("os").system("id")
