package gateway

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/rampart-sec/rampart/internal/gateway/config"
)

// modernCiphers are the TLS 1.2 suites offered by default: forward secret
// AEAD only. TLS 1.3 suites are not configurable in Go and are all modern.
var modernCiphers = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// serverTLS builds a listener's tls.Config. With several certificates Go's
// crypto/tls picks the first one whose names and key type fit the
// ClientHello (SNI), so no selection code is needed here.
func serverTLS(t *config.TLS) (*tls.Config, error) {
	tc := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		CipherSuites: modernCiphers,
		NextProtos:   []string{"h2", "http/1.1"},
	}
	if t.MinVersion == "1.3" {
		tc.MinVersion = tls.VersionTLS13
	}
	for _, c := range t.Certificates {
		pair, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load certificate %s: %w", c.CertFile, err)
		}
		tc.Certificates = append(tc.Certificates, pair)
	}
	if ca := t.ClientAuth; ca != nil {
		pem, err := os.ReadFile(ca.CAFile)
		if err != nil {
			return nil, fmt.Errorf("client_auth ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("client_auth ca_file %s: no PEM certificate", ca.CAFile)
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.RequireAndVerifyClientCert
		if ca.Mode == "optional" {
			tc.ClientAuth = tls.VerifyClientCertIfGiven
		}
	}
	return tc, nil
}

// identityOf reads the verified client certificate: its SAN URIs (SPIFFE
// ids) and subject. Unverified certificates yield nothing.
func identityOf(cs *tls.ConnectionState, info *TLSInfo) {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.PeerCertificates) == 0 {
		return
	}
	leaf := cs.PeerCertificates[0]
	info.Subject = leaf.Subject.String()
	for _, u := range leaf.URIs {
		info.URIs = append(info.URIs, u.String())
	}
	info.Identity = info.Subject
	if len(info.URIs) > 0 {
		info.Identity = info.URIs[0]
	}
}
