def explode(n):
    raise ValueError("bad value %d" % n)
