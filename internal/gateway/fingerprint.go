package gateway

import "net"

// fingerprintOf fills JA4/JA3 from the connection when the listener
// captured them.
func fingerprintOf(c net.Conn, info *TLSInfo) {
	_ = c
	_ = info
}
