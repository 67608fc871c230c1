"""Draw on an image and enhance it."""
from PIL import Image, ImageChops, ImageColor, ImageDraw, ImageEnhance, ImageFilter


def make_test_card(width: int = 64, height: int = 48) -> dict:
    im = Image.new("RGB", (width, height), ImageColor.getrgb("navy"))
    draw = ImageDraw.Draw(im)
    draw.rectangle([4, 4, width - 5, height - 5], outline="white", width=2)
    draw.line((0, 0, width, height), fill=(255, 0, 0))
    bright = ImageEnhance.Brightness(im).enhance(1.5)
    edges = bright.filter(ImageFilter.FIND_EDGES)
    diff = ImageChops.difference(im, bright)
    return {"bbox": diff.getbbox(), "edges_mode": edges.mode, "size": im.size,
            "histogram_len": len(im.histogram()), "resized": im.resize((8, 6), Image.Resampling.BILINEAR).size}
