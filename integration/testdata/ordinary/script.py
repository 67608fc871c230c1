#!/usr/bin/env python3
"""An agent's script that is also run by hand."""
import json


def greet(name: str, excited: bool = False):
    message = "Hello, " + name
    return {"message": message + ("!" if excited else "."), "length": len(message)}


def main(argv):
    print(json.dumps(greet(argv[1] if len(argv) > 1 else "world")))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv))
