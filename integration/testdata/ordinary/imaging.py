import io

from PIL import Image, ImageDraw, ImageFilter, ImageStat


def checkerboard(size: int = 8, cell: int = 2):
    """Draws a checkerboard in memory and describes it."""
    im = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(im)
    for y in range(0, size, cell):
        for x in range(0, size, cell):
            if (x // cell + y // cell) % 2 == 0:
                draw.rectangle([x, y, x + cell - 1, y + cell - 1], fill=255)
    stat = ImageStat.Stat(im)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    decoded = Image.open(io.BytesIO(buf.getvalue()))
    blurred = im.filter(ImageFilter.BoxBlur(1))
    return {
        "mode": im.mode,
        "size": list(im.size),
        "mean": stat.mean[0],
        "white": im.histogram()[255],
        "png_roundtrip": list(decoded.getdata()) == list(im.getdata()),
        "corner": im.getpixel((0, 0)),
        "blurred_center": blurred.getpixel((size // 2, size // 2)),
        "bbox": list(im.getbbox()),
    }
