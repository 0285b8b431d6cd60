// tlsclient is the Go TLS client that tlstap's end-to-end tests trace.
// It sends n requests to an HTTPS server (testdata/go/tlsserver or any other)
// and prints one line per request, so a test can match every traced
// plaintext with the connection (local port) it went over:
//
//	req 0 port 41234 proto HTTP/2.0 status 200 bytes 11
//	body "echo /x\n"
//
// Modes: net/http (HTTP/1.1 or HTTP/2 by ALPN, -http2) or -raw, which writes
// HTTP/1.1 requests with tls.Conn.Write and reads them with tls.Conn.Read
// directly (one crypto/tls call per request and response, no net/http).
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

type options struct {
	addr      string
	url       string
	n         int
	paths     []string
	method    string
	bodySize  int
	http2     bool
	raw       bool
	newConn   bool
	ports     bool
	quiet     bool
	interval  time.Duration
	delay     time.Duration
	linger    time.Duration
	waitStdin bool
	wrap      bool
	proxy     string
}

type result struct {
	port   int
	proto  string
	status int
	body   []byte
}

func parseFlags() *options {
	o := &options{}
	var paths string
	flag.StringVar(&o.addr, "addr", "127.0.0.1:8443", "server host:port")
	flag.StringVar(&o.url, "url", "", "full https URL (overrides -addr and -path)")
	flag.IntVar(&o.n, "n", 1, "number of requests")
	flag.StringVar(&paths, "path", "/", "request path; a comma-separated list is used round-robin")
	flag.StringVar(&o.method, "method", "", "HTTP method (default GET, or POST with -body-size)")
	flag.IntVar(&o.bodySize, "body-size", 0, "send a request body of this many bytes ('a'..'z' repeated)")
	flag.BoolVar(&o.http2, "http2", true, "allow HTTP/2 (net/http mode)")
	flag.BoolVar(&o.raw, "raw", false, "HTTP/1.1 over tls.Dial, one Write per request")
	flag.BoolVar(&o.newConn, "new-conn", false, "a new connection for every request")
	flag.BoolVar(&o.ports, "print-ports", false, "print the local port of every request")
	flag.BoolVar(&o.quiet, "q", false, "print nothing but errors")
	flag.DurationVar(&o.interval, "interval", 0, "pause between requests")
	flag.DurationVar(&o.delay, "delay", 0, "pause before the first request (time to attach a tracer)")
	flag.DurationVar(&o.linger, "linger", 0, "-raw: close the last connection, then wait this long before exiting")
	flag.BoolVar(&o.waitStdin, "wait-stdin", false, "wait for a line on stdin before the first request")
	flag.BoolVar(&o.wrap, "wrap", false, "give crypto/tls a wrapped connection (a byte counter around the *net.TCPConn), as custom dialers do")
	flag.StringVar(&o.proxy, "proxy", "", "net/http mode: go through this proxy (https://host:port: TLS to the origin inside TLS to the proxy)")
	flag.Parse()
	o.paths = strings.Split(paths, ",")
	if o.method == "" {
		o.method = "GET"
		if o.bodySize > 0 {
			o.method = "POST"
		}
	}
	return o
}

func payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

func (o *options) target(i int) (host, path string) {
	path = o.paths[i%len(o.paths)]
	host = o.addr
	if o.url != "" {
		rest := strings.TrimPrefix(o.url, "https://")
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			host, path = rest[:j], rest[j:]
		} else {
			host, path = rest, "/"
		}
	}
	return host, path
}

// countedConn is what a custom dialer, a metrics or timeout wrapper hands
// crypto/tls: a net.Conn that is not a *net.TCPConn.
type countedConn struct {
	net.Conn
	read, written int64
}

func (c *countedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.read += int64(n)
	return n, err
}

func (c *countedConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.written += int64(n)
	return n, err
}

func dialWrapped(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &countedConn{Conn: c}, nil
}

func portOf(a net.Addr) int {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.Port
	}
	return 0
}

// httpClient issues requests through net/http; GotConn tells which
// connection (and so which local port) every request used.
type httpClient struct {
	o  *options
	hc *http.Client
}

func newHTTPClient(o *options) *httpClient {
	tr := &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
		ForceAttemptHTTP2: o.http2,
		DisableKeepAlives: o.newConn,
	}
	if !o.http2 {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	if o.wrap {
		tr.DialContext = dialWrapped
	}
	if o.proxy != "" {
		u, err := url.Parse(o.proxy)
		if err != nil {
			log.Fatalf("-proxy: %v", err)
		}
		tr.Proxy = http.ProxyURL(u)
	}
	return &httpClient{o: o, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

func (c *httpClient) do(i int) (*result, error) {
	host, path := c.o.target(i)
	res := &result{}
	trace := &httptrace.ClientTrace{GotConn: func(ci httptrace.GotConnInfo) {
		res.port = portOf(ci.Conn.LocalAddr())
	}}
	ctx := httptrace.WithClientTrace(context.Background(), trace)
	var body io.Reader
	if c.o.bodySize > 0 {
		body = bytes.NewReader(payload(c.o.bodySize))
	}
	req, err := http.NewRequestWithContext(ctx, c.o.method, "https://"+host+path, body)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	res.proto, res.status = resp.Proto, resp.StatusCode
	res.body, err = io.ReadAll(resp.Body)
	return res, err
}

// rawClient speaks HTTP/1.1 over a tls.Conn it dialled itself.
type rawClient struct {
	o    *options
	conn *tls.Conn
	br   *bufio.Reader
}

func (c *rawClient) do(i int) (*result, error) {
	host, path := c.o.target(i)
	if c.conn == nil || c.o.newConn {
		if c.conn != nil {
			c.conn.Close()
		}
		cfg := &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}}
		var conn *tls.Conn
		var err error
		if c.o.wrap {
			var raw net.Conn
			raw, err = dialWrapped(context.Background(), "tcp", host)
			if err == nil {
				conn = tls.Client(raw, cfg)
			}
		} else {
			conn, err = tls.Dial("tcp", host, cfg)
		}
		if err != nil {
			return nil, err
		}
		c.conn, c.br = conn, bufio.NewReader(conn)
	}
	body := payload(c.o.bodySize)
	var req bytes.Buffer
	fmt.Fprintf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tlsclient\r\n", c.o.method, path, host)
	if len(body) > 0 || c.o.method == "POST" {
		fmt.Fprintf(&req, "Content-Length: %d\r\n", len(body))
	}
	req.WriteString("\r\n")
	req.Write(body)
	if _, err := c.conn.Write(req.Bytes()); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	res := &result{port: portOf(c.conn.LocalAddr()), proto: resp.Proto, status: resp.StatusCode}
	res.body, err = io.ReadAll(resp.Body)
	return res, err
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("tlsclient: ")
	o := parseFlags()
	if o.waitStdin {
		bufio.NewReader(os.Stdin).ReadString('\n')
	}
	time.Sleep(o.delay)

	var do func(int) (*result, error)
	var raw *rawClient
	if o.raw {
		rc := &rawClient{o: o}
		raw = rc
		do = rc.do
		defer func() {
			if rc.conn != nil {
				rc.conn.Close()
			}
		}()
	} else {
		do = newHTTPClient(o).do
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for i := 0; i < o.n; i++ {
		if i > 0 {
			time.Sleep(o.interval)
		}
		r, err := do(i)
		if err != nil {
			w.Flush()
			log.Fatalf("request %d: %v", i, err)
		}
		if o.quiet {
			continue
		}
		fmt.Fprintf(w, "req %d", i)
		if o.ports {
			fmt.Fprintf(w, " port %d", r.port)
		}
		fmt.Fprintf(w, " proto %s status %d bytes %d\nbody %s\n", r.proto, r.status,
			len(r.body), strconv.Quote(string(r.body)))
		w.Flush()
	}
	// The last connection closed while the process still runs: its
	// close is seen as the connection's end, not the exit.
	if raw != nil && raw.conn != nil && o.linger > 0 {
		raw.conn.Close()
		raw.conn = nil
		time.Sleep(o.linger)
	}
}
