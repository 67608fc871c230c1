# expect: banned-import
import os


def enhanced_scan(path):
    return os.listdir(path)
