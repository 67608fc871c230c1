# expect: banned-attribute
import random


def run():
    return random._os.system("id")
