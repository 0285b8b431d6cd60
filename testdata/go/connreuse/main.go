// connreuse makes the Go heap reuse tls.Conn addresses, the situation in
// which a tracer that keys connection state by the tls.Conn pointer alone
// attributes a request to an earlier, dead connection.
//
// Every request goes over a NEW TLS connection (tls.Dial) and is written with
// one tls.Conn.Write ("GET /reuse/RUN/NNNNNN HTTP/1.1 ..."); the response is
// read and checked ("echo PATH\n", testdata/go/tlsserver's body).  The
// connection is then dropped WITHOUT Close(): only the garbage collector
// (netFD's finalizer) closes its socket.  Every -gc-every requests the program
// forces a collection (runtime.GC, debug.FreeOSMemory), so the memory of the
// dropped tls.Conn and netFD objects is freed and handed to the next ones.
//
// For every request it logs one line to -log:
//
//	PATH LPORT TLSCONN NETFD
//
// PATH the request path, LPORT the connection's local port, TLSCONN the
// address of its *tls.Conn and NETFD that of the *net.netFD under it (both
// hex; tlstap keys Go connection state by the two),
// so a test knows the true connection of every request and how often an
// address really was reused.  At exit it prints a summary line on stdout:
//
//	connreuse: requests N tls.Conn-reused R tls.Conn+netFD-reused B distinct-tls.Conn D
//
// -close closes every connection with tls.Conn.Close instead (a tracer's
// Close path); -hold then lets the garbage collector close what was dropped,
// prints "holding" and stays alive until SIGTERM (tlstap doctor checks what
// a tracer kept of connections gone, while the process still runs);
// -wait-stdin waits for a line on stdin first (time to attach a tracer).
package main

import (
	"bufio"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"reflect"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

type record struct {
	path    string
	port    int
	tlsConn uintptr
	netFD   uintptr
}

// netFDOf: the *net.netFD of a *net.TCPConn (TCPConn{conn{fd *netFD}}),
// read by reflection: unexported, but its address is all we need.
func netFDOf(c *net.TCPConn) uintptr {
	return reflect.ValueOf(c).Elem().Field(0).Field(0).Pointer()
}

func request(addr, path string, cfg *tls.Config, closeConn bool) (*record, error) {
	raw, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	conn := tls.Client(raw, cfg)
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: connreuse\r\n\r\n", path, addr)
	if _, err := conn.Write([]byte(req)); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if want := "echo " + path + "\n"; string(body) != want {
		return nil, fmt.Errorf("%s: body %q, want %q", path, body, want)
	}
	rec := &record{path: path, port: raw.LocalAddr().(*net.TCPAddr).Port,
		tlsConn: uintptr(unsafe.Pointer(conn)), netFD: netFDOf(raw.(*net.TCPConn))}
	if closeConn {
		conn.Close()
	}
	// Otherwise conn and raw are dropped here, never closed.
	return rec, nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8443", "HTTPS server (testdata/go/tlsserver)")
	n := flag.Int("n", 10000, "requests, each over a new connection")
	workers := flag.Int("workers", 4, "goroutines sending requests at the same time")
	gcEvery := flag.Int("gc-every", 16, "force a GC after this many requests (per worker)")
	run := flag.String("run", "x", "run id, part of every path")
	logPath := flag.String("log", "", "per-request log file (default stdout)")
	closeConns := flag.Bool("close", false, "Close() every connection instead of dropping it")
	waitStdin := flag.Bool("wait-stdin", false, "wait for a line on stdin before the first request")
	hold := flag.Bool("hold", false, "at the end, collect what was dropped (GC, finalizers) "+
		"and stay alive until SIGTERM/SIGINT")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("connreuse: ")

	out := os.Stdout
	if *logPath != "" {
		f, err := os.Create(*logPath)
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		out = f
	}
	if *waitStdin {
		bufio.NewReader(os.Stdin).ReadString('\n')
	}
	w := bufio.NewWriter(out)
	cfg := &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}}

	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		failed error
		seen   = map[uintptr]int{} // tls.Conn address -> local port of its last use
		pairs  = map[[2]uintptr]int{}
		reused int
		both   int // connections whose tls.Conn AND netFD addresses were both reused
	)
	next := make(chan int)
	for k := 0; k < *workers; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := 0
			for i := range next {
				rec, err := request(*addr, fmt.Sprintf("/reuse/%s/%06d", *run, i), cfg,
					*closeConns)
				mu.Lock()
				if err != nil {
					if failed == nil {
						failed = err
					}
				} else {
					if p, ok := seen[rec.tlsConn]; ok && p != rec.port {
						reused++
					}
					seen[rec.tlsConn] = rec.port
					k := [2]uintptr{rec.tlsConn, rec.netFD}
					if p, ok := pairs[k]; ok && p != rec.port {
						both++
					}
					pairs[k] = rec.port
					fmt.Fprintf(w, "%s %d %x %x\n", rec.path, rec.port, rec.tlsConn,
						rec.netFD)
				}
				mu.Unlock()
				if done++; done%*gcEvery == 0 {
					runtime.GC()
					debug.FreeOSMemory()
				}
			}
		}()
	}
	for i := 0; i < *n; i++ {
		mu.Lock()
		stop := failed != nil
		mu.Unlock()
		if stop {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	w.Flush()
	if failed != nil {
		log.Fatal(failed)
	}
	fmt.Printf("connreuse: requests %d tls.Conn-reused %d tls.Conn+netFD-reused %d distinct-tls.Conn %d\n",
		*n, reused, both, len(seen))
	if *hold {
		collectAndHold()
	}
}

// collectAndHold lets the garbage collector close every connection that was
// dropped (the netFD finalizers run on their own goroutine after a GC), says
// "holding" and waits for SIGTERM or SIGINT: a tracer's state for this
// process is then only what its connections left behind, not swept by its
// exit.
func collectAndHold() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	for i := 0; i < 3; i++ {
		runtime.GC()
		time.Sleep(100 * time.Millisecond)
	}
	debug.FreeOSMemory()
	fmt.Println("holding")
	os.Stdout.Sync()
	<-sig
}
