# expect: banned-import
from PIL import EpsImagePlugin


def run(data):
    return EpsImagePlugin.Ghostscript(((0, 0, 1, 1),), (1, 1), data)
