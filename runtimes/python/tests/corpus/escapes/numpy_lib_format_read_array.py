# expect: banned-attribute
import io
import numpy as np


def run(blob):
    return np.lib.format.read_array(io.BytesIO(blob), allow_pickle=True)
