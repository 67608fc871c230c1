# expect: banned-import
from io import FileIO


def write(path, data):
    FileIO(path, "w").write(data)
