# expect: banned-name
def run(obj):
    return vars(obj)
