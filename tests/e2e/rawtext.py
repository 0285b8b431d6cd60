#!/usr/bin/env python3
"""Read tlstap's default text output back into events: each header line, then
exactly the plaintext it announces (len, or the chunk's size), unescaped
(\\\\ \\r \\xNN), then the newline tlstap adds when the data does not end with
one.  Lines that end a connection or a process carry no data: skipped.  Reading by length makes it exact whatever the plaintext holds.

    rawtext.py FILE PID DIR > bytes     the concatenated plaintext of PID/DIR
"""
import re
import sys

HEADER = re.compile(
    rb"\d\d:\d\d:\d\d\.\d{6} (?P<comm>.*?) pid (?P<pid>\d+) tid \d+ (?P<lib>\w+) (?P<dir>read|write)"
    rb"(?: \(no tuple\)| \S+ (?:->|<-) \S+) len (?P<len>\d+)(?: chunk (?P<off>\d+)\+(?P<n>\d+))?"
    rb"(?: goid \d+)? attr (?P<attr>\S+)(?: truncated)?(?: tuple-mismatch)?(?: multi-fd)?\n")


# A connection's end or a process's exit: a line of its own, no data.
CONTROL = re.compile(rb"\d\d:\d\d:\d\d\.\d{6} pid \d+ (?:connection closed[^\n]*|exited)\n")


def unescape(buf, pos, n):
    """n bytes of plaintext from buf at pos; returns (bytes, new pos)."""
    out = bytearray()
    while len(out) < n:
        c = buf[pos]
        if c != 0x5c:  # backslash
            out.append(c)
            pos += 1
            continue
        nxt = buf[pos + 1]
        if nxt == 0x5c:
            out.append(0x5c)
            pos += 2
        elif nxt == ord("r"):
            out.append(0x0d)
            pos += 2
        elif nxt == ord("x"):
            out.append(int(buf[pos + 2:pos + 4], 16))
            pos += 4
        else:
            raise ValueError("bad escape at %d" % pos)
    return bytes(out), pos


def events(buf):
    pos = 0
    while pos < len(buf):
        c = CONTROL.match(buf, pos)
        if c:
            pos = c.end()
            continue
        m = HEADER.match(buf, pos)
        if not m:
            raise ValueError("no header at byte %d: %r" % (pos, buf[pos:pos + 80]))
        n = int(m.group("n") if m.group("n") is not None else m.group("len"))
        data, pos = unescape(buf, m.end(), n)
        if not data.endswith(b"\n"):
            if buf[pos:pos + 1] != b"\n":
                raise ValueError("no newline after the data at byte %d" % pos)
            pos += 1
        yield int(m.group("pid")), m.group("dir").decode(), m.group("attr").decode(), data


def main():
    path, pid, want_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    out = sys.stdout.buffer
    for p, d, _attr, data in events(open(path, "rb").read()):
        if p == pid and d == want_dir:
            out.write(data)


if __name__ == "__main__":
    main()
