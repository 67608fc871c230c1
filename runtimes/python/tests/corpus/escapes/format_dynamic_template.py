# expect: dynamic-format
def run(obj):
    template = "{0." + "__globals__}"
    return template.format(obj)
