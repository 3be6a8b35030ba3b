package gateway

import (
	"net"

	"github.com/rampart-sec/rampart/internal/gateway/tlsfp"
)

// fingerprintOf fills JA4/JA3 from a connection accepted through a tlsfp
// listener (it looks through *tls.Conn and the connlimit wrapper).
func fingerprintOf(c net.Conn, info *TLSInfo) {
	if fp, ok := tlsfp.FromConn(c); ok {
		info.JA4, info.JA3 = fp.JA4, fp.JA3Hash
	}
}
