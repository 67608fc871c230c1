"""Generator pipelines."""
import itertools


def chunks(data, size):
    it = iter(data)
    while True:
        chunk = list(itertools.islice(it, size))
        if not chunk:
            return
        yield chunk


def flatten(nested):
    for item in nested:
        if isinstance(item, (list, tuple)):
            yield from flatten(item)
        else:
            yield item


def checksum_stream(data: list, size: int = 4) -> list:
    return [sum(c) % 256 for c in chunks(flatten(data), size)]
