# expect: banned-attribute
import dataclasses


def run():
    return dataclasses._create_fn("f", [], ["return 1"])
