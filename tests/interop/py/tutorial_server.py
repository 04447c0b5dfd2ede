#!/usr/bin/python3
"""python h2's tutorial server ("Writing your own HTTP/2 server"), run on a fake socket.

Reads the client's bytes from stdin, runs the tutorial's handle() loop over a
socket stand-in whose recv() returns them (in --chunk sized pieces) and whose
sendall() writes to stdout, so the test can compare python h2's frames with
ours for the same input.

One change from the tutorial text: h2 >= 3 gives bytes headers unless
header_encoding is set, and json.dumps cannot take bytes keys, so the
configuration sets header_encoding="utf-8" (the tutorial predates that).
"""

import argparse
import json
import sys

import h2.config
import h2.connection
import h2.events


def send_response(conn, event):
    stream_id = event.stream_id
    response_data = json.dumps(dict(event.headers)).encode("utf-8")

    conn.send_headers(
        stream_id=stream_id,
        headers=[
            (":status", "200"),
            ("server", "basic-h2-server/1.0"),
            ("content-length", str(len(response_data))),
            ("content-type", "application/json"),
        ],
    )
    conn.send_data(stream_id=stream_id, data=response_data, end_stream=True)


def handle(sock):
    config = h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
    conn = h2.connection.H2Connection(config=config)
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())

    while True:
        data = sock.recv(65535)
        if not data:
            break

        events = conn.receive_data(data)
        for event in events:
            if isinstance(event, h2.events.RequestReceived):
                send_response(conn, event)

        data_to_send = conn.data_to_send()
        if data_to_send:
            sock.sendall(data_to_send)


class FakeSocket:
    def __init__(self, data, chunk):
        self.data = data
        self.chunk = chunk
        self.offset = 0

    def recv(self, n):
        size = min(n, self.chunk)
        out = self.data[self.offset:self.offset + size]
        self.offset += len(out)
        return out

    def sendall(self, data):
        sys.stdout.buffer.write(data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunk", type=int, default=65535)
    args = parser.parse_args()
    handle(FakeSocket(sys.stdin.buffer.read(), args.chunk))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
