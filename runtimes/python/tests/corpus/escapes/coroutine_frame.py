# expect: internal-attribute
async def job():
    return 1


def run():
    c = job()
    return c.cr_frame.f_globals
