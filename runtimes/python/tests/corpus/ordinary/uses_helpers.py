"""Imports a sandbox-local helper module."""
import stego_helpers
from stego_helpers import bit_plane


def plane_entropy(pixels: list, bit: int = 0) -> dict:
    plane = bit_plane(pixels, bit)
    return {"entropy": stego_helpers.entropy(plane), "version": stego_helpers.__version__}
