# expect: banned-attribute
from PIL import Image


def run():
    return Image.core.open_ppm("/etc/passwd")
