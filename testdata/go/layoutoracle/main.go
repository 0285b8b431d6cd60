// layoutoracle prints the struct field offsets tlstap's Go tracer reads, found
// without DWARF, so that the resolver's DWARF reader can be checked against
// an independent source:
//
//   - exported and unexported struct fields through reflect (offsets of the
//     types compiled into this very binary);
//   - runtime.g.goid, which reflect cannot see, by scanning the memory of
//     the current g (from TLS, see g_amd64.s) for the goroutine id that
//     runtime.Stack prints, in several goroutines with different ids;
//   - the address of the *net.TCPConn,net.Conn itab: the first word of a
//     net.Conn holding a *net.TCPConn (a static conversion uses the itab the
//     linker laid out; this binary is not PIE, so it is the link address).
//
// Output: one "NAME VALUE" line per field, names as in tlstap's JSON, then
// "go:itab.*net.TCPConn,net.Conn ADDRESS" (decimal).
package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"unsafe"
)

type field struct {
	name string
	typ  reflect.Type
	path []string // field names from typ, through embedded/pointer types
}

// offset walks path and returns the offset of the last field in the struct
// that contains it.
func offset(t reflect.Type, path []string) (uintptr, error) {
	var off uintptr
	for i, name := range path {
		for t.Kind() == reflect.Ptr {
			t = t.Elem()
		}
		f, ok := t.FieldByName(name)
		if !ok || len(f.Index) != 1 {
			return 0, fmt.Errorf("%s has no direct field %s", t, name)
		}
		off = f.Offset
		if i < len(path)-1 {
			t = f.Type
		}
	}
	return off, nil
}

func main() {
	tcpConn := reflect.TypeOf((*net.TCPConn)(nil)).Elem()
	connT := mustField(tcpConn, "conn").Type
	netFD := mustField(connT, "fd").Type.Elem()
	pollFD := mustField(netFD, "pfd").Type
	fields := []field{
		{"crypto/tls.Conn.conn", reflect.TypeOf((*tls.Conn)(nil)).Elem(), []string{"conn"}},
		{"net.TCPConn.conn", tcpConn, []string{"conn"}},
		{"net.conn.fd", connT, []string{"fd"}},
		{"net.netFD.pfd", netFD, []string{"pfd"}},
		{"internal/poll.FD.Sysfd", pollFD, []string{"Sysfd"}},
		{"net.netFD.family", netFD, []string{"family"}},
		{"net.netFD.laddr", netFD, []string{"laddr"}},
		{"net.netFD.raddr", netFD, []string{"raddr"}},
		{"net.TCPAddr.IP", reflect.TypeOf(net.TCPAddr{}), []string{"IP"}},
		{"net.TCPAddr.Port", reflect.TypeOf(net.TCPAddr{}), []string{"Port"}},
	}
	// The reflect names must be the types the tracer means, not look-alikes.
	checkType(connT, "net.conn")
	checkType(netFD, "net.netFD")
	checkType(pollFD, "poll.FD")

	fmt.Printf("# layoutoracle %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	for _, f := range fields {
		off, err := offset(f.typ, f.path)
		if err != nil {
			fail(err.Error())
		}
		fmt.Printf("%s %d\n", f.name, off)
	}
	goid, err := goidOffset()
	if err != nil {
		fail(err.Error())
	}
	fmt.Printf("runtime.g.goid %d\n", goid)
	fmt.Printf("go:itab.*net.TCPConn,net.Conn %d\n", tcpConnItab())
}

// tcpConnItab returns the itab word of a net.Conn holding a *net.TCPConn.
func tcpConnItab() uintptr {
	var c net.Conn = (*net.TCPConn)(nil)
	return *(*uintptr)(unsafe.Pointer(&c))
}

func mustField(t reflect.Type, name string) reflect.StructField {
	f, ok := t.FieldByName(name)
	if !ok {
		fail(fmt.Sprintf("%s has no field %s", t, name))
	}
	return f
}

func checkType(t reflect.Type, want string) {
	if t.String() != want {
		fail(fmt.Sprintf("type %s, want %s", t, want))
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "layoutoracle:", msg)
	os.Exit(1)
}

// goidFromStack parses "goroutine N [" from the current goroutine's trace.
func goidFromStack() (uint64, error) {
	buf := make([]byte, 128)
	buf = buf[:runtime.Stack(buf, false)]
	s := strings.TrimPrefix(string(buf), "goroutine ")
	if i := strings.IndexByte(s, ' '); i > 0 {
		return strconv.ParseUint(s[:i], 10, 64)
	}
	return 0, fmt.Errorf("cannot parse %q", buf)
}

// gScanBytes bounds the scan: runtime.g is 400-450 bytes in the versions we
// build and goid sits in its first half.
const gScanBytes = 320

// candidates returns the 8-byte aligned offsets in the current g that hold
// the current goroutine id.
func candidates() (map[int]bool, uint64, error) {
	id, err := goidFromStack()
	if err != nil {
		return nil, 0, err
	}
	g := getg()
	offs := map[int]bool{}
	for off := 0; off < gScanBytes; off += 8 {
		if readWord(g, off) == id {
			offs[off] = true
		}
	}
	return offs, id, nil
}

// goidOffset intersects the candidates of several goroutines.  Goroutines are
// started first so that the ids are large and distinct: a small id such as 1
// would match unrelated fields.
func goidOffset() (int, error) {
	for i := 0; i < 200; i++ {
		done := make(chan struct{})
		go func() { close(done) }()
		<-done
	}
	var common map[int]bool
	seen := map[uint64]bool{}
	for i := 0; i < 4; i++ {
		type res struct {
			offs map[int]bool
			id   uint64
			err  error
		}
		ch := make(chan res)
		go func() {
			o, id, err := candidates()
			ch <- res{o, id, err}
		}()
		r := <-ch
		if r.err != nil {
			return 0, r.err
		}
		if seen[r.id] {
			return 0, fmt.Errorf("goroutine id %d seen twice", r.id)
		}
		seen[r.id] = true
		if common == nil {
			common = r.offs
			continue
		}
		for off := range common {
			if !r.offs[off] {
				delete(common, off)
			}
		}
	}
	if len(common) != 1 {
		var offs []int
		for off := range common {
			offs = append(offs, off)
		}
		sort.Ints(offs)
		return 0, fmt.Errorf("goid: %d candidate offsets in g: %v", len(offs), offs)
	}
	for off := range common {
		return off, nil
	}
	return 0, nil
}
