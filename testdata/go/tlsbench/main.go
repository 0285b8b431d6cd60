// tlsbench measures the per-call cost of crypto/tls (*Conn).Write and
// (*Conn).Read over a loopback TCP connection inside one process, so that a
// benchmark can run it untraced, with empty probes and traced, side by side.
//
// It prints one line:  write_ns=N pingpong_ns=N
//
//	write_ns     wall time of one Write of -size bytes (the peer drains)
//	pingpong_ns  wall time of Write+Read on each side (two of each)
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

// pair returns the two ends of a loopback TLS connection.
func pair() (client, server *tls.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	cert, err := selfsigned.Cert("tlsbench")
	if err != nil {
		log.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	done := make(chan *tls.Conn)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		s := tls.Server(c, cfg)
		if err := s.Handshake(); err != nil {
			log.Fatal(err)
		}
		done <- s
	}()
	c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		log.Fatal(err)
	}
	return c, <-done
}

func writes(c, s *tls.Conn, n, size int) time.Duration {
	buf := make([]byte, size)
	drained := make(chan struct{})
	go func() {
		io.CopyN(io.Discard, s, int64(n*size))
		close(drained)
	}()
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, err := c.Write(buf); err != nil {
			log.Fatal(err)
		}
	}
	<-drained
	return time.Since(start)
}

func pingpong(c, s *tls.Conn, n, size int) time.Duration {
	go func() {
		buf := make([]byte, size)
		for i := 0; i < n; i++ {
			if _, err := io.ReadFull(s, buf); err != nil {
				log.Fatal(err)
			}
			if _, err := s.Write(buf); err != nil {
				log.Fatal(err)
			}
		}
	}()
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
	flag.Parse()
	log.SetFlags(0)
	c, s := pair()
	w := writes(c, s, *n, *size)
	p := pingpong(c, s, *n, *size)
	fmt.Fprintf(os.Stdout, "write_ns=%d pingpong_ns=%d\n",
		w.Nanoseconds()/int64(*n), p.Nanoseconds()/int64(*n))
}
