# expect: banned-import
from PIL import ImageMath


def boom(im):
    return ImageMath.eval("exec('import os')", a=im)
