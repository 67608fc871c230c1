# expect: banned-name
@compile
def payload():
    pass
