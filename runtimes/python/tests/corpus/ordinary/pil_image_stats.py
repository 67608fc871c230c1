"""Image statistics with PIL, reading an image from the sandbox."""
from PIL import Image, ImageOps, ImageStat


def image_statistics(path: str, grayscale: bool = True) -> dict:
    """Mean, stddev and extrema per band."""
    with Image.open(path) as im:
        im.load()
        fmt = im.format
        if grayscale:
            im = ImageOps.grayscale(im)
        stat = ImageStat.Stat(im)
        return {
            "format": fmt,
            "size": list(im.size),
            "mode": im.mode,
            "mean": stat.mean,
            "stddev": stat.stddev,
            "extrema": [list(e) for e in stat.extrema],
        }
