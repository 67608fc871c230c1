# expect: dynamic-attribute
def run(obj):
    return getattr(obj, "＿＿class＿＿")
