# expect: banned-import
import totally_not_a_sandbox_file


def f():
    return totally_not_a_sandbox_file.x
