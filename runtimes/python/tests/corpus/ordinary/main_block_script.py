"""A module that also works as a command-line script."""
import json


def word_stats(text: str) -> dict:
    words = text.split()
    return {"words": len(words), "longest": max(words, key=len) if words else ""}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("text")
    args = parser.parse_args(sys.argv[1:])
    print(json.dumps(word_stats(args.text)))


if __name__ == "__main__":
    import argparse
    import sys
    import os
    os.environ.setdefault("X", "1")
    main()
