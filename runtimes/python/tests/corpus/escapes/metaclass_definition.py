# expect: dynamic-class
class Meta(type):
    def __instancecheck__(cls, obj):
        return True
