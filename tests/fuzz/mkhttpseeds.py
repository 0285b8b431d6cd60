#!/usr/bin/env python3
"""Seeds for fuzz_http: the TLS calls of the recorded captures (tests/data)
in the harness's framing: [flags][len:2][bytes], flags bit 0 = write."""
import base64
import json
import os
import sys

out, *captures = sys.argv[1:]
os.makedirs(out, exist_ok=True)
for path in captures:
    seed = bytearray()
    for line in open(path, "rb"):
        ev = json.loads(line)
        if "event" in ev:
            continue
        d = base64.b64decode(ev["data"])[:65535]
        seed += bytes([1 if ev["dir"] == "write" else 0]) + len(d).to_bytes(2, "big") + d
    with open(os.path.join(out, os.path.basename(path) + ".bin"), "wb") as f:
        f.write(seed)
