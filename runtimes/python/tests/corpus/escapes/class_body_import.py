# expect: module-alias
class Tools:
    import numpy as np
    from functools import update_wrapper


def run(path):
    return Tools.np.load(path)
