# expect: internal-attribute
def run():
    g = (i for i in range(3))
    return g.gi_frame.f_back.f_globals
