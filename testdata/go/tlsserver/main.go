// tlsserver is the HTTPS peer of tlstap's tests: a self-signed ECDSA
// certificate made in memory at startup, HTTP/1.1 and HTTP/2 (ALPN), and a
// deterministic body so that a tracer's plaintext can be checked exactly.
//
// Response body: "echo PATH\n" followed by the request body, if any.
// It prints "listening on ADDR" on stdout once the socket accepts.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"tlstap.test/testdata/internal/selfsigned"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8443", "listen address (port 0: any)")
	h2 := flag.Bool("http2", true, "offer HTTP/2 through ALPN")
	maxReq := flag.Int64("max-requests", 0, "exit after this many requests (0: never)")
	verbose := flag.Bool("v", false, "log every request with its peer address")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("tlsserver: ")

	cert, err := selfsigned.Cert("tlstap test server")
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}

	var served int64
	done := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if *verbose {
			log.Printf("%s %s %s from %s", r.Proto, r.Method, r.URL.Path, r.RemoteAddr)
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "echo %s\n", r.URL.Path)
		w.Write(body)
		if n := atomic.AddInt64(&served, 1); *maxReq > 0 && n == *maxReq {
			close(done)
		}
	})
	srv := &http.Server{
		Handler:   mux,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
		ErrorLog:  log.New(io.Discard, "", 0),
	}
	if !*h2 {
		// A non-nil empty map is how net/http is told not to offer h2.
		srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}

	fmt.Printf("listening on %s\n", ln.Addr())
	os.Stdout.Sync()

	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
		select {
		case <-sig:
		case <-done:
			// Let the last response reach the client before closing.
			time.Sleep(100 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	if err := srv.ServeTLS(ln, "", ""); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
