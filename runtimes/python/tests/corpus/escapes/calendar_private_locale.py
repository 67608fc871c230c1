# expect: private-attribute
import calendar


def run():
    return calendar._locale.setlocale(0)
