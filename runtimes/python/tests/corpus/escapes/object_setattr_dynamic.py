# expect: dynamic-attribute
class Box:
    def put(self, name, value):
        object.__setattr__(self, name, value)
