# expect: encoding-declaration
# -*- coding: utf-7 -*-
x = 1


def run():
    return x
