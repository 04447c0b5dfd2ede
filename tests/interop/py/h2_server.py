#!/usr/bin/python3
"""A python-hyper h2 server for interop tests against our TypeScript client.

Run with /usr/bin/python3 (Debian's python3-h2). Listens on 127.0.0.1, prints
one line "LISTENING <port>" on stdout once accepting, serves every connection
in its own thread, and exits on its own after --timeout seconds.

--big-frames advertises 1 MiB INITIAL_WINDOW_SIZE and MAX_FRAME_SIZE.
--connect-protocol advertises ENABLE_CONNECT_PROTOCOL; CONNECT requests are
then answered 200 at once and their DATA echoed back (an RFC 8441 tunnel).

Routes (the same ones tests/interop/python_h2_server_test.ts serves with our engine):
  POST /echo       200, the request body echoed back (flow-controlled both ways);
                   x-max-data-frame: the largest DATA frame received (flow-controlled size)
  POST /padded-echo  200, the body echoed in DATA frames padded with 64 octets
  POST /trailers   200, JSON {"body": <request body>, "trailers": [[n, v], ...]}
                   followed by response trailers x-trailer-one: 1, grpc-status: 0
  GET  /push       PUSH_PROMISE for /pushed (200 text/plain "pushed body"), then
                   the headers JSON as the main response
  GET  /ping       sends PING "pyping01"; answers {"pingAck": "pyping01"} once ACKed
  GET  /goaway     200 "bye", then GOAWAY(NO_ERROR, last_stream_id = this stream)
  GET  /bytes/N    200, N octets "x"
  GET  /table/...  200 with the request's x-repeat field echoed as a response field
  GET  /informational  103 (link), then 200 "final"
  GET  /big-headers    200 with a 30 kB x-big field (HEADERS + CONTINUATION), body
                       the headers JSON
  *                200, JSON list of the request's [name, value] pairs, in order
"""

import argparse
import json
import os
import socket
import sys
import threading

import h2.config
import h2.connection
import h2.events
import h2.settings
from h2.settings import SettingCodes


def latin1(b):
    return b.decode("latin-1") if isinstance(b, bytes) else b


def pairs(headers):
    return [[latin1(n), latin1(v)] for n, v in headers]


def big_value(size=30000):
    """30 kB of letters: with Huffman still more than one 16 kB frame (CONTINUATION)."""
    return "".join(chr(0x61 + (i * 7 + i // 26) % 26) for i in range(size))


# --big-frames: 1 MiB stream windows and frames, and a 16 MiB larger connection window.
BIG_FRAMES = {SettingCodes.INITIAL_WINDOW_SIZE: 1 << 20, SettingCodes.MAX_FRAME_SIZE: (1 << 20)}
BIG_CONNECTION_INCREMENT = 1 << 24


class Stream:
    def __init__(self, stream_id, headers):
        self.stream_id = stream_id
        self.headers = headers
        self.max_frame = 0
        self.tunnel = False
        self.body = bytearray()
        self.trailers = []
        self.ended = False


class Outbound:
    """A response body waiting for flow-control window."""

    def __init__(self, data, trailers, pad):
        self.data = memoryview(data)
        self.offset = 0
        self.trailers = trailers
        self.pad = pad


class Connection:
    def __init__(self, sock, max_concurrent, big_frames, connect_protocol):
        self.sock = sock
        self.big_frames = big_frames
        self.connect_protocol = connect_protocol
        config = h2.config.H2Configuration(client_side=False, header_encoding=None)
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.local_settings = h2.settings.Settings(
            client=False,
            initial_values={
                SettingCodes.MAX_CONCURRENT_STREAMS: max_concurrent,
                SettingCodes.MAX_HEADER_LIST_SIZE: 65536,
            },
        )
        self.streams = {}
        self.outbound = {}
        self.ping_waiters = []
        self.closing = False

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def run(self):
        self.conn.initiate_connection()
        if self.big_frames:
            # Through update_settings so h2 applies them when the peer ACKs (replacing
            # local_settings wholesale would leave h2's inbound frame-size limit at 16384).
            self.conn.update_settings(BIG_FRAMES)
            self.conn.increment_flow_control_window(BIG_CONNECTION_INCREMENT)
        if self.connect_protocol:
            self.conn.update_settings({SettingCodes.ENABLE_CONNECT_PROTOCOL: 1})
        self.flush()
        while not self.closing:
            try:
                data = self.sock.recv(65536)
            except (ConnectionResetError, socket.timeout, OSError):
                break
            if not data:
                break
            try:
                events = self.conn.receive_data(data)
            except Exception as e:  # noqa: BLE001 - report and close
                print(f"h2_server: receive_data raised {e!r}", file=sys.stderr, flush=True)
                self.flush()
                break
            for event in events:
                self.handle(event)
            self.pump()
            self.flush()
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        self.sock.close()

    def handle(self, event):
        c = self.conn
        if isinstance(event, h2.events.RequestReceived):
            stream = Stream(event.stream_id, event.headers)
            self.streams[event.stream_id] = stream
            if self.header(stream, b":method") == "CONNECT":
                # RFC 8441 tunnel: answer at once, then echo DATA until the client ends.
                stream.tunnel = True
                c.send_headers(event.stream_id, [(":status", "200")])
        elif isinstance(event, h2.events.DataReceived):
            stream = self.streams.get(event.stream_id)
            if stream is not None and stream.tunnel:
                c.send_data(event.stream_id, event.data)
            elif stream is not None:
                stream.body += event.data
                stream.max_frame = max(stream.max_frame, event.flow_controlled_length)
            c.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.TrailersReceived):
            stream = self.streams.get(event.stream_id)
            if stream is not None:
                stream.trailers = event.headers
        elif isinstance(event, h2.events.StreamEnded):
            stream = self.streams.get(event.stream_id)
            if stream is not None and stream.tunnel:
                c.end_stream(event.stream_id)
            elif stream is not None and not stream.ended:
                stream.ended = True
                self.respond(stream)
        elif isinstance(event, h2.events.PingAckReceived):
            waiters, self.ping_waiters = self.ping_waiters, []
            for stream in waiters:
                body = json.dumps({"pingAck": latin1(event.ping_data)}).encode()
                self.send(stream.stream_id, [(":status", "200")], body)
        elif isinstance(event, h2.events.StreamReset):
            self.streams.pop(event.stream_id, None)
            self.outbound.pop(event.stream_id, None)
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.closing = True

    def header(self, stream, name):
        for n, v in stream.headers:
            if n == name:
                return latin1(v)
        return None

    def respond(self, stream):
        c = self.conn
        path = self.header(stream, b":path") or ""
        sid = stream.stream_id
        if path == "/echo":
            self.send(sid, [(":status", "200"), ("content-type", "application/octet-stream"),
                            ("content-length", str(len(stream.body))),
                            ("x-max-data-frame", str(stream.max_frame))], bytes(stream.body))
        elif path == "/padded-echo":
            self.send(sid, [(":status", "200")], bytes(stream.body), pad=64)
        elif path == "/trailers":
            body = json.dumps({"body": latin1(bytes(stream.body)),
                               "trailers": pairs(stream.trailers)}).encode()
            self.send(sid, [(":status", "200"), ("content-type", "application/json")], body,
                      trailers=[("x-trailer-one", "1"), ("grpc-status", "0")])
        elif path == "/push":
            promised = c.get_next_available_stream_id()
            authority = self.header(stream, b":authority") or "127.0.0.1"
            c.push_stream(sid, promised, [(":method", "GET"), (":scheme", "http"),
                                          (":authority", authority), (":path", "/pushed")])
            self.send(promised, [(":status", "200"), ("content-type", "text/plain")],
                      b"pushed body")
            self.send(sid, [(":status", "200"), ("content-type", "application/json")],
                      json.dumps(pairs(stream.headers)).encode())
        elif path == "/ping":
            c.ping(b"pyping01")
            self.ping_waiters.append(stream)
        elif path.startswith("/bytes/"):
            size = int(path[len("/bytes/"):])
            self.send(sid, [(":status", "200"), ("content-length", str(size))], b"x" * size)
        elif path == "/informational":
            c.send_headers(sid, [(":status", "103"), ("link", "</style.css>; rel=preload")])
            self.send(sid, [(":status", "200")], b"final")
        elif path == "/big-headers":
            self.send(sid, [(":status", "200"), ("x-big", big_value())],
                      json.dumps(pairs(stream.headers)).encode())
        elif path == "/goaway":
            c.send_headers(sid, [(":status", "200")])
            c.send_data(sid, b"bye", end_stream=True)
            c.close_connection(error_code=0, last_stream_id=sid)
            self.closing = True
        elif path.startswith("/table/"):
            # Echo x-repeat as a response field so our decoder sees it indexed, too.
            repeat = self.header(stream, b"x-repeat") or ""
            self.send(sid, [(":status", "200"), ("x-repeat", repeat)], b"")
        else:
            body = json.dumps(pairs(stream.headers)).encode()
            self.send(sid, [(":status", "200"), ("content-type", "application/json"),
                            ("content-length", str(len(body)))], body)

    def send(self, stream_id, headers, body, trailers=None, pad=None):
        self.conn.send_headers(stream_id, headers, end_stream=False)
        self.outbound[stream_id] = Outbound(body, trailers, pad)

    def pump(self):
        """Send queued bodies within the flow-control windows (as h2's asyncio example)."""
        c = self.conn
        for sid in list(self.outbound):
            out = self.outbound[sid]
            while out.offset < len(out.data):
                window = min(c.local_flow_control_window(sid), c.max_outbound_frame_size)
                overhead = 0 if out.pad is None else out.pad + 1
                if window <= overhead:
                    break
                chunk = out.data[out.offset:out.offset + window - overhead]
                out.offset += len(chunk)
                last = out.offset == len(out.data) and out.trailers is None
                c.send_data(sid, bytes(chunk), end_stream=last, pad_length=out.pad)
            if out.offset == len(out.data):
                if len(out.data) == 0 and out.trailers is None:
                    c.end_stream(sid)
                if out.trailers is not None:
                    c.send_headers(sid, out.trailers, end_stream=True)
                del self.outbound[sid]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--max-concurrent", type=int, default=1000)
    parser.add_argument("--big-frames", action="store_true")
    parser.add_argument("--connect-protocol", action="store_true",
                        help="send SETTINGS_ENABLE_CONNECT_PROTOCOL=1 (RFC 8441)")
    args = parser.parse_args()

    # Bounded lifetime: the test kills us, but never outlive it by much.
    watchdog = threading.Timer(args.timeout, lambda: os._exit(3))
    watchdog.daemon = True
    watchdog.start()

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(16)
    print(f"LISTENING {listener.getsockname()[1]}", flush=True)
    while True:
        sock, _ = listener.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(args.timeout)
        handler = Connection(sock, args.max_concurrent, args.big_frames, args.connect_protocol)
        threading.Thread(target=handler.run, daemon=True).start()


if __name__ == "__main__":
    main()
