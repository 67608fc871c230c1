# expect: dunder-definition
import copy


class Evil:
    def __reduce__(self):
        return (Evil, (), {"__array_interface__": {}})


def run():
    return copy.copy(Evil())
