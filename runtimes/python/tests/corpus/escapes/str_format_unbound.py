# expect: dynamic-format
def run(template, obj):
    return str.format(template, obj)
