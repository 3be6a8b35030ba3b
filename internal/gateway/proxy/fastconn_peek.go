//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package proxy

import "syscall"

const canPeek = true

// peek is the RawConn.Read callback of peerClosed: a non-blocking MSG_PEEK
// recv fails with EAGAIN while the connection is open and quiet. It never
// waits (returns true at once).
func (c *upConn) peek(fd uintptr) bool {
	_, _, err := syscall.Recvfrom(int(fd), c.peekBuf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	// Anything else is unusable for a new request: EOF (0 bytes), a reset,
	// or bytes an idle HTTP/1.1 connection must not carry — a TLS
	// close_notify ahead of the FIN, a "408" sent before closing.
	c.closed = err != syscall.EAGAIN && err != syscall.EWOULDBLOCK && err != syscall.EINTR
	return true
}
