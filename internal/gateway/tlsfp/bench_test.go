package tlsfp

import (
	"path/filepath"
	"testing"
)

// BenchmarkJA4 parses a hello from its record bytes and computes every
// fingerprint, as the listener does once per connection.
func BenchmarkJA4(b *testing.B) {
	hellos := map[string][]byte{"go": goHello(b)}
	// Firefox's hello from the reference captures, when they are present.
	pcap := filepath.Join("..", "..", "..", "..", "shared", "testdata", "ja4", "pcap", "tls12.pcap")
	for _, h := range referenceHellosIfPresent(b, pcap) {
		hellos["firefox"] = record(h.Hello.Raw)
	}
	for name, raw := range hellos {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				ch, err := Parse(raw)
				if err != nil {
					b.Fatal(err)
				}
				_ = ch.Fingerprint(ProtoTCP)
			}
		})
	}
}
