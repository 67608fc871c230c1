# expect: format-traversal
def run(cfg):
    return "{0[secret]}".format(cfg)
