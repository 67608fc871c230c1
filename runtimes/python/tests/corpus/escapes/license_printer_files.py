# expect: banned-name
def run():
    license._Printer__filenames = ["/etc/passwd"]
    return repr(license)
