# expect: banned-name
def leak():
    with open("/etc/passwd") as fh:
        return fh.read()
