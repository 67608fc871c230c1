# expect: banned-import
import os.path


def enhanced_scan(p):
    return os.path.exists(p)
