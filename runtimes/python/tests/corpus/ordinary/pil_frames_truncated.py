"""Iterate over animation frames, tolerating truncated files."""
from PIL import Image, ImageFile, ImageSequence

ImageFile.LOAD_TRUNCATED_IMAGES = True


def frame_sizes(path: str) -> list:
    with Image.open(path) as im:
        return [frame.size for frame in ImageSequence.Iterator(im)]
