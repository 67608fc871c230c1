# expect: internal-attribute
async def gen():
    yield 1


def run():
    return gen().ag_frame.f_back
