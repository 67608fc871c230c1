# expect: banned-import
import socket


def send(data):
    s = socket.create_connection(("10.0.0.1", 80))
    s.sendall(data)
