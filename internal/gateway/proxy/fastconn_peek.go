//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package proxy

import "syscall"

const canPeek = true

// peek is the RawConn.Read callback of peerClosed: a non-blocking MSG_PEEK
// recv returns 0 bytes at EOF, an error on reset, EAGAIN while the
// connection is open and quiet. It never waits (returns true at once).
func (c *upConn) peek(fd uintptr) bool {
	n, _, err := syscall.Recvfrom(int(fd), c.peekBuf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	switch {
	case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK || err == syscall.EINTR:
	case err != nil, n == 0:
		c.closed = true
	}
	return true
}
