// cgossl is one process that does TLS twice: with Go's crypto/tls and with
// OpenSSL called through cgo.  It prints the local port each one used:
//
//	go port N
//	openssl port N
//
// Usage: cgossl -addr 127.0.0.1:PORT -go-path /a -c-path /b
package main

/*
#cgo LDFLAGS: -lssl -lcrypto
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdlib.h>
#include <openssl/ssl.h>

// One HTTP/1.0 GET over OpenSSL; returns the local port, or -1.
static int c_get(int port, const char *path, char *out, int outlen)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	socklen_t alen = sizeof(a);
	char req[512];
	int fd, n, got = 0, lport = -1;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (!ctx || fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		goto out;
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1)
		goto out;
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	if (SSL_write(ssl, req, strlen(req)) != (int)strlen(req))
		goto out;
	while (got < outlen - 1 && (n = SSL_read(ssl, out + got, outlen - 1 - got)) > 0)
		got += n;
	out[got] = 0;
	if (getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
		lport = ntohs(a.sin_port);
out:
	if (ssl)
		SSL_free(ssl);
	if (ctx)
		SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return lport;
}
*/
import "C"

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"strconv"
	"unsafe"
)

func goGet(addr, path string) int {
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path)
	if _, err := io.ReadAll(c); err != nil {
		log.Fatal(err)
	}
	return c.LocalAddr().(*net.TCPAddr).Port
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8443", "server")
	goPath := flag.String("go-path", "/go", "path requested with crypto/tls")
	cPath := flag.String("c-path", "/c", "path requested with OpenSSL")
	flag.Parse()
	log.SetFlags(0)

	fmt.Printf("go port %d\n", goGet(*addr, *goPath))

	_, p, err := net.SplitHostPort(*addr)
	if err != nil {
		log.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	cpath := C.CString(*cPath)
	defer C.free(unsafe.Pointer(cpath))
	buf := make([]byte, 4096)
	lport := C.c_get(C.int(port), cpath, (*C.char)(unsafe.Pointer(&buf[0])), C.int(len(buf)))
	if lport < 0 {
		log.Fatal("openssl request failed")
	}
	fmt.Printf("openssl port %d\n", int(lport))
}
