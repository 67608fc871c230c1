raise RuntimeError("the sandbox's json.py was imported")
