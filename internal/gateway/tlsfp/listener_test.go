package tlsfp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// testCert returns a self-signed certificate for localhost and a pool
// trusting it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

type serverResult struct {
	fp  *Fingerprint
	err error
}

// startServer serves TLS over a fingerprinting listener on 127.0.0.1; every
// accepted conn is handled in its own goroutine, as http.Server does.
func startServer(t *testing.T, opts ListenerOptions) (addr string, results <-chan serverResult, pool *x509.CertPool) {
	t.Helper()
	cert, pool := testCert(t)
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	out := make(chan serverResult, 16)
	ln := tls.NewListener(NewListener(inner, opts), &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"h2", "http/1.1"},
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				tc := c.(*tls.Conn)
				_ = tc.SetDeadline(time.Now().Add(time.Minute))
				err := tc.Handshake()
				fp, ok := FromConn(c)
				if err == nil && !ok {
					err = errors.New("FromConn: no fingerprint after handshake")
				}
				if err == nil {
					_, err = tc.Write([]byte("ok"))
				}
				out <- serverResult{fp: fp, err: err}
			}()
		}
	}()
	return inner.Addr().String(), out, pool
}

func dialTLS(t *testing.T, addr string, pool *x509.CertPool) error {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 30 * time.Second}, "tcp", addr, &tls.Config{
		RootCAs:    pool,
		ServerName: "localhost",
		NextProtos: []string{"h2", "http/1.1"},
	})
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 2)
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	if string(buf) != "ok" {
		return errors.New("unexpected reply " + string(buf))
	}
	return nil
}

func TestListenerFingerprintsRealHandshake(t *testing.T) {
	addr, results, pool := startServer(t, ListenerOptions{OnError: func(_ net.Addr, err error) { t.Errorf("OnError: %v", err) }})
	if err := dialTLS(t, addr, pool); err != nil {
		t.Fatalf("client: %v", err)
	}
	r := <-results
	if r.err != nil {
		t.Fatalf("server: %v", r.err)
	}
	fp := r.fp
	// Go's client sends SNI for a host name, TLS 1.3 in supported_versions
	// and our ALPN list, and no GREASE.
	if got, want := fp.JA4[:4], "t13d"; got != want {
		t.Errorf("JA4 prefix = %q, want %q (JA4 %s)", got, want, fp.JA4)
	}
	if got, want := fp.JA4[8:10], "h2"; got != want {
		t.Errorf("JA4 ALPN = %q, want %q", got, want)
	}
	if got, want := fp.SNI, "localhost"; got != want {
		t.Errorf("SNI = %q, want %q", got, want)
	}
	if len(fp.JA3Hash) != 32 || !strings.HasPrefix(fp.JA3, "771,") {
		t.Errorf("JA3 = %q (%s), want TLS 1.2 legacy version and an MD5", fp.JA3, fp.JA3Hash)
	}
	// The peeked hello fingerprints like one read straight off a pipe.
	direct, err := Parse(goHello(t))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fp.JA4, direct.Fingerprint(ProtoTCP).JA4; got != want {
		t.Errorf("JA4 through the listener = %s, directly = %s", got, want)
	}
	if len(fp.ALPN) != 2 || fp.ALPN[0] != "h2" {
		t.Errorf("ALPN = %q, want [h2 http/1.1]", fp.ALPN)
	}
}

// rawClient connects and sends data, returning the conn.
func rawClient(t *testing.T, addr string, data []byte) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if len(data) > 0 {
		if _, err := c.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestListenerRejectsBadHellos(t *testing.T) {
	hello := goHello(t)
	tests := []struct {
		name    string
		data    []byte
		closeW  bool // close the client's write side after data
		timeout time.Duration
		want    error
	}{
		{name: "garbage", data: []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), want: ErrNotTLS},
		{name: "truncated", data: hello[:len(hello)/2], closeW: true, want: ErrTruncated},
		{name: "silent then close", closeW: true, want: ErrTruncated},
		{name: "too slow", data: hello[:10], timeout: 50 * time.Millisecond, want: os.ErrDeadlineExceeded},
		{name: "bad handshake type", data: []byte{22, 3, 1, 0, 4, 2, 0, 0, 0}, want: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := make(chan error, 4)
			addr, results, pool := startServer(t, ListenerOptions{
				HelloTimeout: tt.timeout,
				OnError:      func(_ net.Addr, err error) { errs <- err },
			})
			c := rawClient(t, addr, tt.data)
			if tt.closeW {
				_ = c.(*net.TCPConn).CloseWrite()
			}
			got := <-errs
			if !errors.Is(got, tt.want) {
				t.Errorf("OnError(%v), want %v", got, tt.want)
			}
			if r := <-results; r.err == nil {
				t.Errorf("handshake succeeded on a bad hello")
			}
			// The server closed the conn: the client reads EOF or a reset.
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
			if _, err := c.Read(make([]byte, 1)); err == nil {
				t.Errorf("client read succeeded on a rejected conn")
			}
			// Accept goes on: a good client still gets through.
			if err := dialTLS(t, addr, pool); err != nil {
				t.Errorf("next client: %v", err)
			}
			if r := <-results; r.err != nil {
				t.Errorf("next client, server: %v", r.err)
			}
		})
	}
}

func TestListenerSlowClientDoesNotBlockOthers(t *testing.T) {
	errs := make(chan error, 2)
	addr, results, pool := startServer(t, ListenerOptions{
		HelloTimeout: time.Hour, // only closing the client ends the slow conn
		OnError:      func(_ net.Addr, err error) { errs <- err },
	})
	slow := rawClient(t, addr, goHello(t)[:3])
	for range 3 {
		if err := dialTLS(t, addr, pool); err != nil {
			t.Fatalf("client behind a slow one: %v", err)
		}
		if r := <-results; r.err != nil {
			t.Fatalf("server: %v", r.err)
		}
	}
	select {
	case err := <-errs:
		t.Fatalf("slow conn ended early: %v", err)
	default:
	}
	slow.Close()
	if err := <-errs; !errors.Is(err, ErrTruncated) {
		t.Errorf("slow conn: OnError(%v), want %v", err, ErrTruncated)
	}
}

func TestFromConn(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if _, ok := FromConn(a); ok {
		t.Errorf("FromConn(plain conn) ok")
	}
	c := &conn{Conn: a}
	if _, ok := FromConn(tls.Server(c, &tls.Config{})); ok {
		t.Errorf("FromConn before the hello was read: ok")
	}
	want := &Fingerprint{JA4: "t13d0000h2_000000000000_000000000000"}
	c.fp.Store(want)
	got, ok := FromConn(tls.Server(c, &tls.Config{}))
	if !ok || got != want {
		t.Errorf("FromConn(tls.Server(conn)) = %v, %v; want %v, true", got, ok, want)
	}
}
