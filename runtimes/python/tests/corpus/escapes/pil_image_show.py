# expect: banned-attribute
from PIL import Image


def run(path):
    im = Image.open(path)
    im.show()
