# expect: dynamic-class
@type
class Meta:
    pass


def run():
    return Meta("X", (), {})
