#!/usr/bin/env python3
"""A TCP proxy that passes bytes on at a limited rate: slow enough that a test can kill what is
behind it (a registry) while a pull is under way. Killing the proxy ends its connections, as a
dying server's are ended.

    slow-proxy.py LISTEN_PORT TARGET_PORT BYTES_PER_SECOND    (both on 127.0.0.1)
"""
import socket
import sys
import threading
import time


def pump(source, sink, rate):
    chunk = max(1024, rate // 20)
    try:
        while True:
            data = source.recv(chunk)
            if not data:
                break
            sink.sendall(data)
            time.sleep(len(data) / rate)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    listen_port, target_port, rate = (int(arg) for arg in sys.argv[1:4])
    server = socket.create_server(("127.0.0.1", listen_port), reuse_port=False)
    while True:
        client, _ = server.accept()
        upstream = socket.create_connection(("127.0.0.1", target_port))
        threading.Thread(target=pump, args=(client, upstream, rate), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client, rate), daemon=True).start()


if __name__ == "__main__":
    main()
