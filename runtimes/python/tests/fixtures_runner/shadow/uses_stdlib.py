import bisect
import json


def check():
    return {"json": json.dumps([1]), "bisect": bisect.bisect([1, 2, 3], 2)}
