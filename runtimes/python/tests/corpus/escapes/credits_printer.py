# expect: banned-name
def run():
    credits._Printer__lines = None
    credits._Printer__filenames = ["/proc/self/environ"]
    return str(credits)
