// tlsbench measures the per-call cost of crypto/tls (*Conn).Write and
// (*Conn).Read over a loopback TCP connection, so that a benchmark can run
// it untraced, with empty probes and traced, side by side.  Both ends run
// in one process by default; with -serve and -connect they are two
// processes, so that a tracer of the measuring one sees only its calls.
//
// The measuring side prints one line:  write_ns=N pingpong_ns=N
//
//	write_ns     wall time of one Write of -size bytes (the peer drains)
//	pingpong_ns  wall time of one Write and one Read of -size bytes (the
//	             peer echoes)
//
// -serve ADDR prints "listening on ADDR" once the socket accepts, serves one
// connection (same -n and -size as the measuring side) and exits.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"time"

	"tlstap.test/testdata/internal/selfsigned"
)

func listen(addr string) (net.Listener, *tls.Config) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	cert, err := selfsigned.Cert("tlsbench")
	if err != nil {
		log.Fatal(err)
	}
	return ln, &tls.Config{Certificates: []tls.Certificate{cert}}
}

func accept(ln net.Listener, cfg *tls.Config) *tls.Conn {
	c, err := ln.Accept()
	if err != nil {
		log.Fatal(err)
	}
	s := tls.Server(c, cfg)
	if err := s.Handshake(); err != nil {
		log.Fatal(err)
	}
	return s
}

func dial(addr string) *tls.Conn {
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		log.Fatal(err)
	}
	return c
}

// peer is the other end: it drains the writes and says so with one byte,
// then echoes the ping-pong.
func peer(s *tls.Conn, n, size int) {
	if _, err := io.CopyN(io.Discard, s, int64(n*size)); err != nil {
		log.Fatal(err)
	}
	if _, err := s.Write([]byte{1}); err != nil {
		log.Fatal(err)
	}
	buf := make([]byte, size)
	for i := 0; i < n; i++ {
		if _, err := io.ReadFull(s, buf); err != nil {
			log.Fatal(err)
		}
		if _, err := s.Write(buf); err != nil {
			log.Fatal(err)
		}
	}
}

func writes(c *tls.Conn, n, size int) time.Duration {
	buf := make([]byte, size)
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, err := c.Write(buf); err != nil {
			log.Fatal(err)
		}
	}
	if _, err := io.ReadFull(c, buf[:1]); err != nil { // drained
		log.Fatal(err)
	}
	return time.Since(start)
}

func pingpong(c *tls.Conn, n, size int) time.Duration {
	buf := make([]byte, size)
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, err := c.Write(buf); err != nil {
			log.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			log.Fatal(err)
		}
	}
	return time.Since(start)
}

func main() {
	n := flag.Int("n", 20000, "calls per measurement")
	size := flag.Int("size", 100, "bytes per Write")
	serve := flag.String("serve", "", "be the peer only, on this address (port 0: any)")
	connect := flag.String("connect", "", "be the measuring side only, against a -serve peer")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("tlsbench: ")
	if *size < 1 {
		log.Fatal("-size must be at least 1")
	}

	var c *tls.Conn
	switch {
	case *serve != "":
		ln, cfg := listen(*serve)
		fmt.Printf("listening on %s\n", ln.Addr())
		peer(accept(ln, cfg), *n, *size)
		return
	case *connect != "":
		c = dial(*connect)
	default:
		ln, cfg := listen("127.0.0.1:0")
		done := make(chan *tls.Conn)
		go func() { done <- accept(ln, cfg) }()
		c = dial(ln.Addr().String())
		s := <-done
		ln.Close()
		go peer(s, *n, *size)
	}
	w := writes(c, *n, *size)
	p := pingpong(c, *n, *size)
	fmt.Fprintf(os.Stdout, "write_ns=%d pingpong_ns=%d\n",
		w.Nanoseconds()/int64(*n), p.Nanoseconds()/int64(*n))
}
