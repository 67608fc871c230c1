# expect: dynamic-attribute
class Meta:
    __match_args__ = ("__globals__",)


def run(f):
    match f:
        case Meta(g):
            return g
