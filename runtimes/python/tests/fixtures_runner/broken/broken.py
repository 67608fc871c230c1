def f():
    return 1


def _setup():
    raise RuntimeError("boom at import")


_setup()
