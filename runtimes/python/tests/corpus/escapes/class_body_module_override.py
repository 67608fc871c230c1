# expect: dunder-definition
class Trick:
    __module__ = "os"
