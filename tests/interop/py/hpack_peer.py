"""HPACK interop peer for tests/interop/hpack_python_test.ts.

Reads a JSON job list on stdin and writes results as JSON on stdout, using the
python-hyper `hpack` module (run with /usr/bin/python3, which has it).

Each job: {"op": "decode", "tableSize": int, "blocks": [hex, ...]}
  -> {"lists": [[[name, value, neverIndexed], ...], ...]} or {"error": "..."}
or {"op": "encode", "tableSize": int, "huffman": bool, "lists": [[[name, value], ...], ...]}
  -> {"blocks": [hex, ...]}
Names and values are byte strings carried as latin-1 text.
"""
import json
import sys

import hpack


def decode(job):
    decoder = hpack.Decoder(max_header_list_size=1 << 30)
    decoder.max_allowed_table_size = job["tableSize"]
    lists = []
    for block in job["blocks"]:
        try:
            fields = decoder.decode(bytes.fromhex(block), raw=True)
        except Exception as error:  # report, do not crash the batch
            return {"error": f"{type(error).__name__}: {error}", "decoded": len(lists)}
        lists.append([
            [f[0].decode("latin-1"), f[1].decode("latin-1"), isinstance(f, hpack.NeverIndexedHeaderTuple)]
            for f in fields
        ])
    return {"lists": lists}


def encode(job):
    encoder = hpack.Encoder()
    if job["tableSize"] != 4096:
        encoder.header_table_size = job["tableSize"]
    blocks = []
    for fields in job["lists"]:
        headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in fields]
        blocks.append(encoder.encode(headers, huffman=job["huffman"]).hex())
    return {"blocks": blocks}


def main():
    jobs = json.load(sys.stdin)
    results = [decode(job) if job["op"] == "decode" else encode(job) for job in jobs]
    json.dump({"hpack": hpack.__version__, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
