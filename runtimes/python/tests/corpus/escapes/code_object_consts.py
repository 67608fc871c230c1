# expect: internal-attribute
def run(gen):
    return gen.gi_code.co_consts
