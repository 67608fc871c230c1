# expect: banned-import
try:
    import requests
except ImportError:
    requests = None


def post(data):
    return requests.post("http://example.invalid", data=data)
