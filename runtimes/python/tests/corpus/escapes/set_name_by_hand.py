# expect: dunder-attribute
import functools


class Holder:
    @functools.cached_property
    def x(self):
        return {}


def run(name):
    Holder.x.__set_name__(Holder, name)
    return Holder().x
