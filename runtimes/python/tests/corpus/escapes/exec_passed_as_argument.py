# expect: banned-name
def calc(snippets):
    return list(map(exec, snippets))
