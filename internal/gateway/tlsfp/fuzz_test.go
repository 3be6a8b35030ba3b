package tlsfp

import (
	"bytes"
	"context"
	"crypto/md5" //nolint:gosec // JA3 is an MD5 digest
	"encoding/hex"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the fuzz seed corpora from the JA4 reference captures")

var (
	ja4Format = regexp.MustCompile(`^[tqd](13|12|11|10|s3|s2|s1|d1|d2|d3|00)[di]\d{4}[0-9A-Za-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$`)
	ja3Format = regexp.MustCompile(`^\d+,(\d+(-\d+)*)?,(\d+(-\d+)*)?,(\d+(-\d+)*)?,(\d+(-\d+)*)?$`)
)

// checkFingerprint asserts the format invariants every fingerprint keeps.
func checkFingerprint(t *testing.T, ch *ClientHello, fp Fingerprint) {
	t.Helper()
	if !ja4Format.MatchString(fp.JA4) {
		t.Fatalf("JA4 %q does not match %s", fp.JA4, ja4Format)
	}
	if !ja4Format.MatchString(fp.JA4O) {
		t.Fatalf("JA4_o %q does not match %s", fp.JA4O, ja4Format)
	}
	prefix := fp.JA4[:10]
	for _, raw := range []string{fp.JA4R, fp.JA4RO} {
		parts := strings.SplitN(raw, "_", 3)
		if len(parts) != 3 || parts[0] != prefix {
			t.Fatalf("raw %q: want prefix %q and three parts", raw, prefix)
		}
		n := 0
		if parts[1] != "" {
			n = strings.Count(parts[1], ",") + 1
		}
		if want, _ := strconv.Atoi(prefix[4:6]); min(n, 99) != want {
			t.Fatalf("raw %q lists %d ciphers, prefix says %d", raw, n, want)
		}
	}
	if got, want := fp.JA4[11:23], hash12(strings.SplitN(fp.JA4R, "_", 3)[1]); got != want {
		t.Fatalf("JA4 cipher hash %s, want %s", got, want)
	}
	if !ja3Format.MatchString(fp.JA3) {
		t.Fatalf("JA3 %q does not match %s", fp.JA3, ja3Format)
	}
	sum := md5.Sum([]byte(fp.JA3)) //nolint:gosec // JA3 definition
	if fp.JA3Hash != hex.EncodeToString(sum[:]) {
		t.Fatalf("JA3Hash %s is not the MD5 of %q", fp.JA3Hash, fp.JA3)
	}
	if fp.SNI != ch.ServerName {
		t.Fatalf("SNI %q, hello has %q", fp.SNI, ch.ServerName)
	}
}

func addSeeds(f *testing.F) {
	f.Add(record(buildHello(0x0303, []uint16{0x1301}, []Extension{sniExt("seed.example"), alpnExt("h2")})))
	f.Add(record(buildHello(0x0301, nil, nil)))
	f.Add([]byte{22, 3, 1, 0, 4, 1, 0, 0, 0})
}

func FuzzParseClientHello(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if ch, err := ParseHandshake(data); (ch == nil) == (err == nil) {
			t.Fatalf("ParseHandshake: hello %v, error %v", ch != nil, err)
		}
		ch, err := Parse(data)
		if err != nil {
			if ch != nil {
				t.Fatalf("Parse returned a hello and an error: %v", err)
			}
			return
		}
		if _, err := ParseHandshake(ch.Raw); err != nil {
			t.Fatalf("ParseHandshake(Raw): %v", err)
		}
		// What parsed once parses the same from its own message bytes.
		again, err := Parse(record(ch.Raw))
		if len(ch.Raw) <= 0xffff && err != nil {
			t.Fatalf("reparse of Raw: %v", err)
		}
		if again != nil && len(again.Extensions) != len(ch.Extensions) {
			t.Fatalf("reparse: %d extensions, first parse %d", len(again.Extensions), len(ch.Extensions))
		}
	})
}

func FuzzJA4(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ch, err := Parse(data)
		if err != nil {
			return
		}
		for _, proto := range []byte{ProtoTCP, ProtoQUIC} {
			fp := ch.Fingerprint(proto)
			checkFingerprint(t, ch, fp)
			if fp.JA4[0] != proto {
				t.Fatalf("JA4 %q does not start with %q", fp.JA4, proto)
			}
		}
	})
}

func FuzzJA3(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ch, err := Parse(data)
		if err != nil {
			return
		}
		ja3 := ch.ja3()
		if !ja3Format.MatchString(ja3) {
			t.Fatalf("JA3 %q does not match %s", ja3, ja3Format)
		}
		if !strings.HasPrefix(ja3, strconv.Itoa(int(ch.Version))+",") {
			t.Fatalf("JA3 %q does not start with the hello version %d", ja3, ch.Version)
		}
	})
}

// capture writes a pcap of one TCP connection whose client sends payload
// in segments of size seg, last segment first.
func capture(t testing.TB, payload []byte, seg int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	eth := &layers.Ethernet{SrcMAC: make([]byte, 6), DstMAC: make([]byte, 6), EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: []byte{127, 0, 0, 1}, DstIP: []byte{127, 0, 0, 2}}
	write := func(tcp *layers.TCP, data []byte) {
		_ = tcp.SetNetworkLayerForChecksum(ip)
		sb := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(sb, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(data)); err != nil {
			t.Fatal(err)
		}
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, 0), CaptureLength: len(sb.Bytes()), Length: len(sb.Bytes())}
		if err := w.WritePacket(ci, sb.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	const isn = 1000
	write(&layers.TCP{SrcPort: 40000, DstPort: 443, Seq: isn, SYN: true}, nil)
	var segs [][2]int
	for i := 0; i < len(payload); i += seg {
		segs = append(segs, [2]int{i, min(i+seg, len(payload))})
	}
	if len(segs) > 1 {
		segs[0], segs[len(segs)-1] = segs[len(segs)-1], segs[0] // out of order
	}
	for _, s := range segs {
		write(&layers.TCP{SrcPort: 40000, DstPort: 443, Seq: uint32(isn + 1 + s[0]), ACK: true, PSH: true}, payload[s[0]:s[1]])
	}
	return buf.Bytes()
}

func FuzzReadCapture(f *testing.F) {
	f.Add(capture(f, record(buildHello(0x0303, []uint16{0x1301}, []Extension{sniExt("cap.example")})), 20))
	f.Add(capture(f, []byte("SSH-2.0-x\r\n"), 4))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = ReadCapture(context.Background(), bytes.NewReader(data), CaptureOptions{MaxStreamBytes: 4096}, func(h CaptureHello) error {
			if h.Err == nil && h.Hello == nil {
				t.Fatalf("stream %d: neither hello nor error", h.Stream)
			}
			return nil
		})
	})
}

func TestReadCaptureOutOfOrder(t *testing.T) {
	hello := record(buildHello(0x0303, []uint16{0x1301}, []Extension{sniExt("cap.example")}))
	var got []string
	err := ReadCapture(context.Background(), bytes.NewReader(capture(t, hello, 7)), CaptureOptions{}, func(h CaptureHello) error {
		if h.Err != nil {
			return h.Err
		}
		got = append(got, fmt.Sprintf("%d %s:%d %s", h.Stream, h.Src, h.SrcPort, h.Hello.ServerName))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "0 127.0.0.1:40000 cap.example"; len(got) != 1 || got[0] != want {
		t.Errorf("got %q, want [%q]", got, want)
	}
}

// TestUpdateCorpus writes the reference captures' hellos as seeds for the
// fuzz targets when run with -update-corpus.
func TestUpdateCorpus(t *testing.T) {
	if !*updateCorpus {
		t.Skip("run with -update-corpus to rewrite the seed corpora")
	}
	dir := referenceDir(t)
	pcaps, err := filepath.Glob(filepath.Join(dir, "pcap", "*"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var seeds [][]byte
	for _, p := range pcaps {
		hellos := referenceHellos(t, p)
		keys := slices.Sorted(maps.Keys(hellos))
		for _, k := range keys {
			h := hellos[k]
			key := h.Hello.Fingerprint(ProtoTCP).JA4R
			if seen[key] {
				continue
			}
			seen[key] = true
			seeds = append(seeds, record(h.Hello.Raw))
		}
	}
	if len(seeds) == 0 {
		t.Fatal("no hellos in the reference captures")
	}
	// One hello split into small records, as some clients send it.
	{
		var split []byte
		raw := seeds[0][recordHeaderLen:]
		for i := 0; i < len(raw); i += 100 {
			split = append(split, record(raw[i:min(i+100, len(raw))])...)
		}
		seeds = append(seeds, split)
	}
	for _, target := range []string{"FuzzParseClientHello", "FuzzJA4", "FuzzJA3"} {
		out := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range seeds {
			body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(s)) + ")\n"
			if err := os.WriteFile(filepath.Join(out, fmt.Sprintf("reference-%02d", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A generated capture (not a copy of the reference ones): a hello split
	// into out-of-order segments.
	out := filepath.Join("testdata", "fuzz", "FuzzReadCapture")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	pcap := capture(t, seeds[0], 200)
	body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(pcap)) + ")\n"
	if err := os.WriteFile(filepath.Join(out, "generated-00"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d seeds per target", len(seeds))
}
