#!/usr/bin/python3
"""A python-hyper h2 client for interop tests against our TypeScript server.

Usage: h2_client.py --port N --scenario NAME [--timeout S] [--big-frames]

Connects to 127.0.0.1:N with prior knowledge, runs one scenario against the
routes of tests/interop/py/h2_server.py (which our engine serves in the test),
and prints ONE JSON object with what it observed on stdout. The Deno test
asserts on it. Exit status 0 unless the script itself failed (exception,
timeout, connection error), then the JSON has an "error" member.

Scenarios: get, post (10 MiB echo), concurrent (200 streams), trailers, push,
ping, goaway, malformed, informational, big,
reset, padded, table, connect.
"""

import argparse
import hashlib
import json
import random
import socket
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
from h2.settings import SettingCodes


def latin1(b):
    return b.decode("latin-1") if isinstance(b, bytes) else b


def pairs(headers):
    return [[latin1(n), latin1(v)] for n, v in headers]


def body_of(size):
    """Deterministic pseudo-random bytes."""
    return random.Random(20241125).randbytes(size)


class Response:
    def __init__(self):
        self.headers = None
        self.informational = []
        self.body = bytearray()
        self.trailers = None
        self.ended = False
        self.reset = None


class Client:
    def __init__(self, port, timeout, big_frames=False):
        self.deadline = time.monotonic() + timeout
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn = h2.connection.H2Connection(
            config=h2.config.H2Configuration(client_side=True, header_encoding=None))
        self.responses = {}
        self.pushed = {}  # pushed stream id -> request headers
        self.outbound = {}  # stream id -> [memoryview, offset, trailers]
        self.events = []
        self.terminated = None
        self.ping_acks = []
        self.pings = []
        self.settings_received = False
        self.settings_acks = 0
        self.max_data_frame = 0
        self.closed = False
        self.conn.initiate_connection()
        if big_frames:
            # 1 MiB stream windows and frames (in force once ACKed), 16 MiB more connection window.
            self.conn.update_settings({SettingCodes.INITIAL_WINDOW_SIZE: 1 << 20,
                                      SettingCodes.MAX_FRAME_SIZE: 1 << 20})
            self.conn.increment_flow_control_window(1 << 24)
        self.flush()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def request(self, method, path, extra=(), body=None, trailers=None, pad=None):
        sid = self.conn.get_next_available_stream_id()
        headers = [(":method", method), (":scheme", "http"),
                   (":authority", "127.0.0.1"), (":path", path)] + list(extra)
        end = body is None and trailers is None
        self.conn.send_headers(sid, headers, end_stream=end)
        self.responses[sid] = Response()
        if not end:
            self.outbound[sid] = [memoryview(body or b""), 0, trailers, pad]
        self.pump()
        self.flush()
        return sid

    def pump(self):
        c = self.conn
        for sid in list(self.outbound):
            data, offset, trailers, pad = self.outbound[sid]
            overhead = 0 if pad is None else pad + 1
            while offset < len(data):
                window = min(c.local_flow_control_window(sid), c.max_outbound_frame_size)
                if window <= overhead:
                    break
                chunk = data[offset:offset + window - overhead]
                offset += len(chunk)
                c.send_data(sid, bytes(chunk), pad_length=pad,
                            end_stream=offset == len(data) and trailers is None)
            self.outbound[sid][1] = offset
            if offset == len(data):
                if len(data) == 0 and trailers is None:
                    c.end_stream(sid)
                if trailers is not None:
                    c.send_headers(sid, trailers, end_stream=True)
                del self.outbound[sid]

    def step(self):
        if time.monotonic() > self.deadline:
            raise TimeoutError("scenario deadline passed")
        data = self.sock.recv(65536)
        if not data:
            self.closed = True
            return
        events = self.conn.receive_data(data)
        for event in events:
            self.handle(event)
        self.pump()
        self.flush()

    def handle(self, event):
        c = self.conn
        self.events.append(type(event).__name__)
        sid = getattr(event, "stream_id", None)
        if isinstance(event, h2.events.ResponseReceived):
            self.responses.setdefault(sid, Response()).headers = event.headers
        elif isinstance(event, h2.events.InformationalResponseReceived):
            self.responses.setdefault(sid, Response()).informational.append(event.headers)
        elif isinstance(event, h2.events.DataReceived):
            self.max_data_frame = max(self.max_data_frame, event.flow_controlled_length)
            self.responses.setdefault(sid, Response()).body += event.data
            c.acknowledge_received_data(event.flow_controlled_length, sid)
        elif isinstance(event, h2.events.TrailersReceived):
            self.responses.setdefault(sid, Response()).trailers = event.headers
        elif isinstance(event, h2.events.StreamEnded):
            self.responses.setdefault(sid, Response()).ended = True
        elif isinstance(event, h2.events.StreamReset):
            self.responses.setdefault(sid, Response()).reset = event.error_code
            self.outbound.pop(sid, None)
        elif isinstance(event, h2.events.PushedStreamReceived):
            self.pushed[event.pushed_stream_id] = {
                "parent": event.parent_stream_id, "headers": pairs(event.headers)}
            self.responses.setdefault(event.pushed_stream_id, Response())
        elif isinstance(event, h2.events.PingAckReceived):
            self.ping_acks.append(latin1(event.ping_data))
        elif isinstance(event, h2.events.PingReceived):
            self.pings.append(latin1(event.ping_data))
        elif isinstance(event, h2.events.RemoteSettingsChanged):
            self.settings_received = True
        elif isinstance(event, h2.events.SettingsAcknowledged):
            self.settings_acks += 1
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.terminated = {"errorCode": int(event.error_code),
                               "lastStreamId": event.last_stream_id,
                               "additionalData": latin1(event.additional_data or b"")}

    def wait(self, predicate):
        while not predicate():
            if self.closed:
                raise ConnectionError("connection closed before the scenario finished")
            self.step()

    def done(self, sid):
        r = self.responses[sid]
        return r.ended or r.reset is not None

    def close(self):
        try:
            self.conn.close_connection()
            self.flush()
        except Exception:  # noqa: BLE001 - best effort
            pass
        self.sock.close()


def summary(r):
    return {"headers": pairs(r.headers or []), "body": latin1(bytes(r.body)),
            "trailers": pairs(r.trailers) if r.trailers is not None else None,
            "ended": r.ended, "reset": r.reset}


def scenario_get(c):
    sid = c.request("GET", "/hello?x=1", [("user-agent", "python-h2-interop"),
                                          ("accept", "*/*"), ("cookie", "a=b"),
                                          ("cookie", "c=d")])
    c.wait(lambda: c.done(sid))
    return {"streamId": sid, "response": summary(c.responses[sid])}


def scenario_post(c):
    size = 10 * 1024 * 1024
    data = body_of(size)
    sid = c.request("POST", "/echo", [("content-length", str(size)),
                                      ("content-type", "application/octet-stream")], body=data)
    c.wait(lambda: c.done(sid))
    r = c.responses[sid]
    return {"streamId": sid, "headers": pairs(r.headers or []), "ended": r.ended,
            "reset": r.reset, "sentLength": size, "receivedLength": len(r.body),
            "sentSha256": hashlib.sha256(data).hexdigest(),
            "receivedSha256": hashlib.sha256(bytes(r.body)).hexdigest(),
            "maxDataFrameReceived": c.max_data_frame}


def scenario_padded(c):
    """1 MiB each way in padded DATA frames: padding counts against the windows (§6.1)."""
    data = body_of(1024 * 1024)
    sid = c.request("POST", "/padded-echo", body=data, pad=100)
    c.wait(lambda: c.done(sid))
    r = c.responses[sid]
    return {"sentSha256": hashlib.sha256(data).hexdigest(),
            "receivedSha256": hashlib.sha256(bytes(r.body)).hexdigest(),
            "receivedLength": len(r.body), "reset": r.reset}


def scenario_concurrent(c):
    c.wait(lambda: c.settings_received)
    limit = c.conn.remote_settings.max_concurrent_streams
    total = 200
    sids = []
    max_open = 0
    while len(sids) < total:
        while len(sids) < total and c.conn.open_outbound_streams < limit:
            sids.append(c.request("GET", f"/item/{len(sids)}", [("x-index", str(len(sids)))]))
            max_open = max(max_open, c.conn.open_outbound_streams)
        if len(sids) < total:
            c.step()
    c.wait(lambda: all(c.done(s) for s in sids))
    ok = 0
    for i, sid in enumerate(sids):
        r = c.responses[sid]
        body = json.loads(bytes(r.body) or b"[]")
        if (r.headers and dict(r.headers).get(b":status") == b"200"
                and [":path", f"/item/{i}"] in body):
            ok += 1
    return {"requested": total, "ok": ok, "maxOpen": max_open,
            "remoteMaxConcurrentStreams": limit}


def scenario_trailers(c):
    sid = c.request("POST", "/trailers", [("te", "trailers")], body=b"hello",
                    trailers=[("x-checksum", "abc123"), ("x-count", "5")])
    c.wait(lambda: c.done(sid))
    return {"streamId": sid, "response": summary(c.responses[sid])}


def scenario_push(c):
    sid = c.request("GET", "/push")
    c.wait(lambda: c.done(sid) and c.pushed and all(c.done(p) for p in c.pushed))
    return {"streamId": sid, "response": summary(c.responses[sid]),
            "pushed": [{"streamId": p, "parent": info["parent"], "request": info["headers"],
                        "response": summary(c.responses[p])} for p, info in c.pushed.items()]}


def scenario_ping(c):
    c.conn.ping(b"pyclient")
    c.flush()
    c.wait(lambda: "pyclient" in c.ping_acks)
    sid = c.request("GET", "/ping")
    c.wait(lambda: c.done(sid))
    return {"pingAcks": c.ping_acks, "pingsReceived": c.pings,
            "response": summary(c.responses[sid])}


def scenario_goaway(c):
    first = c.request("GET", "/first")
    c.wait(lambda: c.done(first))
    sid = c.request("GET", "/goaway")
    c.wait(lambda: c.terminated is not None and c.done(sid))
    return {"streamId": sid, "response": summary(c.responses[sid]),
            "terminated": c.terminated}


def big_value(size=30000):
    return "".join(chr(0x61 + (i * 7 + i // 26) % 26) for i in range(size))


def scenario_informational(c):
    sid = c.request("GET", "/informational")
    c.wait(lambda: c.done(sid))
    r = c.responses[sid]
    return {"informational": [pairs(h) for h in r.informational], "response": summary(r)}


def scenario_big(c):
    sid = c.request("GET", "/big-headers", [("x-big", big_value())])
    c.wait(lambda: c.done(sid))
    r = c.responses[sid]
    echoed = dict((n, v) for n, v in json.loads(bytes(r.body)))
    return {"status": latin1(dict(r.headers).get(b":status")),
            "responseBigOk": latin1(dict(r.headers).get(b"x-big")) == big_value(),
            "requestBigEchoedOk": echoed.get("x-big") == big_value()}


def scenario_reset(c):
    """Cancel a big download; DATA already in flight must not eat the connection window."""
    sid = c.request("GET", "/bytes/1000000")
    c.wait(lambda: len(c.responses[sid].body) > 0 or c.done(sid))
    c.conn.reset_stream(sid, error_code=8)
    c.flush()
    cancelled_at = len(c.responses[sid].body)
    second = c.request("GET", "/bytes/300000")
    c.wait(lambda: c.done(second))
    r = c.responses[second]
    return {"cancelledAt": cancelled_at, "secondLength": len(r.body), "secondEnded": r.ended,
            "terminated": c.terminated}


def scenario_table(c):
    """HEADER_TABLE_SIZE 0, then 65536: the peer's encoder must signal both (RFC 7541 §4.2)."""
    statuses = []
    extra = [("x-repeat", "r" * 3000), ("user-agent", "python-h2-interop")]
    for size in (0, 65536):
        acks = c.settings_acks
        c.conn.update_settings({SettingCodes.HEADER_TABLE_SIZE: size})
        c.flush()
        c.wait(lambda: c.settings_acks > acks)
        for i in range(3):
            sid = c.request("GET", f"/table/{size}/{i}", extra)
            c.wait(lambda: c.done(sid))
            statuses.append(latin1(dict(c.responses[sid].headers or []).get(b":status")))
    return {"statuses": statuses, "terminated": c.terminated}


def scenario_connect(c):
    """RFC 8441 extended CONNECT: a tunnel stream whose DATA the server echoes."""
    c.wait(lambda: c.conn.remote_settings.enable_connect_protocol == 1)
    sid = c.conn.get_next_available_stream_id()
    c.conn.send_headers(sid, [(":method", "CONNECT"), (":protocol", "websocket"),
                              (":scheme", "http"), (":path", "/chat"),
                              (":authority", "127.0.0.1")])
    c.responses[sid] = Response()
    c.flush()
    c.wait(lambda: c.responses[sid].headers is not None or c.done(sid))
    c.conn.send_data(sid, b"hello tunnel")
    c.flush()
    c.wait(lambda: len(c.responses[sid].body) >= 12 or c.done(sid))
    c.conn.end_stream(sid)
    c.flush()
    c.wait(lambda: c.done(sid))
    return {"response": summary(c.responses[sid])}


def scenario_malformed(c):
    """Malformed requests (RFC 9113 §8.1.1) must cost a stream, not the connection."""
    c.conn.config.validate_outbound_headers = False
    c.conn.config.normalize_outbound_headers = False
    upper = c.request("GET", "/upper", [("X-Upper", "1")])
    conn_specific = c.request("GET", "/connection", [("connection", "keep-alive")])
    short_body = c.request("POST", "/echo", [("content-length", "10")], body=b"12345")
    c.wait(lambda: all(c.done(s) for s in (upper, conn_specific, short_body)))
    c.conn.config.validate_outbound_headers = True
    c.conn.config.normalize_outbound_headers = True
    ok = c.request("GET", "/after")
    c.wait(lambda: c.done(ok))
    return {"resets": [c.responses[s].reset for s in (upper, conn_specific, short_body)],
            "after": summary(c.responses[ok]), "terminated": c.terminated}


SCENARIOS = {
    "get": scenario_get, "post": scenario_post, "concurrent": scenario_concurrent,
    "trailers": scenario_trailers, "push": scenario_push, "ping": scenario_ping,
    "goaway": scenario_goaway, "malformed": scenario_malformed,
    "informational": scenario_informational, "big": scenario_big, "reset": scenario_reset,
    "padded": scenario_padded, "table": scenario_table,
    "connect": scenario_connect,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), required=True)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--big-frames", action="store_true",
                        help="advertise 1 MiB INITIAL_WINDOW_SIZE and MAX_FRAME_SIZE")
    args = parser.parse_args()
    client = None
    try:
        client = Client(args.port, args.timeout, args.big_frames)
        result = SCENARIOS[args.scenario](client)
        result["events"] = sorted(set(client.events))
        print(json.dumps(result), flush=True)
        return 0
    except Exception as e:  # noqa: BLE001 - reported to the test as JSON
        print(json.dumps({"error": repr(e),
                          "events": client.events[-20:] if client else []}), flush=True)
        return 1
    finally:
        if client is not None:
            client.close()


if __name__ == "__main__":
    sys.exit(main())
