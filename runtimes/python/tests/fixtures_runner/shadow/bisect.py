raise RuntimeError("the sandbox's bisect.py was imported")
