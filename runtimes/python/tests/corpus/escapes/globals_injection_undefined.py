# expect: undefined-name
def run():
    return _os.system("id")
