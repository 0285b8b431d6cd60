package main

import "unsafe"

// getg returns the current goroutine's runtime.g, from the TLS slot that the
// runtime keeps up to date on linux/amd64 (g_amd64.s).
func getg() unsafe.Pointer

func readWord(p unsafe.Pointer, off int) uint64 {
	return *(*uint64)(unsafe.Add(p, off))
}
