# expect: dynamic-attribute
class Proxy:
    def fetch(self, name):
        return super().__getattribute__(name)
