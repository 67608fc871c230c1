# expect: dynamic-format
def run(template, values):
    return template.format_map(values)
