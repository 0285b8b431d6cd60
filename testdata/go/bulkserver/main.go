// bulkserver is the Go HTTPS server of tlstap's throughput benchmark
// (bench/throughput.sh): it serves the files of -root over HTTP/1.1 with
// a Content-Length, writing each body with crypto/tls (*Conn).Write calls
// of -write-size bytes (net/http's file server writes 32 KiB at a time).
// A self-signed ECDSA certificate is made in memory at startup; it prints
// "listening on ADDR" on stdout once the socket accepts.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"tlstap.test/testdata/internal/selfsigned"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8443", "listen address (port 0: any)")
	root := flag.String("root", ".", "directory served")
	size := flag.Int("write-size", 16384, "bytes per Write of a body")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("bulkserver: ")

	cert, err := selfsigned.Cert("tlstap bulk server")
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(filepath.Join(*root, filepath.Clean("/"+r.URL.Path)))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil || !st.Mode().IsRegular() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.FormatInt(st.Size(), 10))
		buf := make([]byte, *size)
		for {
			n, err := io.ReadFull(f, buf)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	})
	srv := &http.Server{
		Handler:   handler,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
		// HTTP/1.1 only: a non-nil empty map is how net/http is told not
		// to offer h2.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ErrorLog:     log.New(io.Discard, "", 0),
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	os.Stdout.Sync()
	log.Fatal(srv.ServeTLS(ln, "", ""))
}
