# expect: dunder-attribute
def run():
    try:
        1 / 0
    except Exception as e:
        return e.__traceback__.tb_frame.f_back.f_globals
