# expect: banned-attribute
import io


def run():
    return io.open("/etc/passwd").read()
