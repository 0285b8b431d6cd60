#!/usr/bin/env python3
"""gRPC over TLS for the HTTP-view end-to-end tests, with Debian's
python3-grpcio (gRPC core on the system OpenSSL, libssl.so.3).  No protobuf:
the methods take and return raw bytes.

  grpc_echo.py server --port P --cert C --key K
      /tlstap.Echo/Say   returns b"echo:" + request
      /tlstap.Echo/Fail  fails with NOT_FOUND, message "no such thing"
      prints "listening P" when ready
  grpc_echo.py client --port P --cafile C
      Say(b"hello") twice, then Fail; prints "done" if all answered as above
"""
import argparse
import sys
import time
from concurrent import futures

import grpc

IDENT = dict(request_deserializer=lambda b: b, response_serializer=lambda b: b)


def say(req, ctx):
    return b"echo:" + req


def fail(req, ctx):
    ctx.abort(grpc.StatusCode.NOT_FOUND, "no such thing")


def server(a):
    handler = grpc.method_handlers_generic_handler("tlstap.Echo", {
        "Say": grpc.unary_unary_rpc_method_handler(say, **IDENT),
        "Fail": grpc.unary_unary_rpc_method_handler(fail, **IDENT),
    })
    s = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    s.add_generic_rpc_handlers((handler,))
    creds = grpc.ssl_server_credentials([(open(a.key, "rb").read(), open(a.cert, "rb").read())])
    s.add_secure_port("127.0.0.1:%d" % a.port, creds)
    s.start()
    print("listening %d" % a.port, flush=True)
    s.wait_for_termination()


def client(a):
    creds = grpc.ssl_channel_credentials(open(a.cafile, "rb").read())
    with grpc.secure_channel("127.0.0.1:%d" % a.port, creds) as ch:
        say_m = ch.unary_unary("/tlstap.Echo/Say", request_serializer=lambda b: b,
                               response_deserializer=lambda b: b)
        fail_m = ch.unary_unary("/tlstap.Echo/Fail", request_serializer=lambda b: b,
                                response_deserializer=lambda b: b)
        for _ in range(2):
            if say_m(b"hello", timeout=10) != b"echo:hello":
                sys.exit("Say: wrong answer")
        try:
            fail_m(b"x", timeout=10)
            sys.exit("Fail: no error")
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.NOT_FOUND or e.details() != "no such thing":
                sys.exit("Fail: %s %s" % (e.code(), e.details()))
        time.sleep(0.2)
    print("done", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("server", "client"))
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--cafile")
    a = ap.parse_args()
    server(a) if a.mode == "server" else client(a)


if __name__ == "__main__":
    main()
