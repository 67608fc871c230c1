# expect: banned-attribute
import dataclasses


def run():
    return dataclasses.Field(0, dataclasses.MISSING, True, True, None, True, None, False)
