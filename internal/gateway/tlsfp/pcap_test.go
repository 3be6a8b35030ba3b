package tlsfp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// pkt is one TCP segment from the client (fromClient) or the server.
type pkt struct {
	port       uint16 // client port
	fromClient bool
	seq        uint32
	syn, fin   bool
	payload    []byte
}

// writeCapture writes IPv6 TCP segments between [::1]:port and [::2]:443
// as a pcapng file.
func writeCapture(t *testing.T, pkts []pkt) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	client, server := make([]byte, 16), make([]byte, 16)
	client[15], server[15] = 1, 2
	for _, p := range pkts {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: client, DstIP: server}
		tcp := &layers.TCP{SrcPort: layers.TCPPort(p.port), DstPort: 443, Seq: p.seq, SYN: p.syn, FIN: p.fin, ACK: !p.syn || !p.fromClient}
		if !p.fromClient {
			ip.SrcIP, ip.DstIP = server, client
			tcp.SrcPort, tcp.DstPort = 443, layers.TCPPort(p.port)
		}
		_ = tcp.SetNetworkLayerForChecksum(ip)
		eth := &layers.Ethernet{SrcMAC: make([]byte, 6), DstMAC: make([]byte, 6), EthernetType: layers.EthernetTypeIPv6}
		sb := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(sb, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(p.payload)); err != nil {
			t.Fatal(err)
		}
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1, 0), CaptureLength: len(sb.Bytes()), Length: len(sb.Bytes())}
		if err := w.WritePacket(ci, sb.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func helloFor(name string) []byte {
	return record(buildHello(0x0303, []uint16{0x1301}, []Extension{sniExt(name)}))
}

func TestReadCaptureStreams(t *testing.T) {
	a, b := helloFor("a.example"), helloFor("b.example")
	serverHello := record([]byte{2, 0, 0, 2, 3, 3})
	tests := []struct {
		name string
		pkts []pkt
		want []string
	}{
		{
			name: "port reuse after FIN starts a new stream",
			pkts: []pkt{
				{port: 1000, fromClient: true, seq: 10, syn: true},
				{port: 1000, fromClient: true, seq: 11, payload: a},
				{port: 1000, seq: 500, payload: serverHello},
				{port: 1000, fromClient: true, seq: 11 + uint32(len(a)), fin: true},
				{port: 1000, fromClient: true, seq: 9000, syn: true},
				{port: 1000, fromClient: true, seq: 9001, payload: b},
			},
			want: []string{"0.1 [::1]:1000 a.example", "1.1 [::1]:1000 b.example"},
		},
		{
			name: "no SYN, retransmission and reordering",
			pkts: []pkt{
				{port: 2000, fromClient: true, seq: 100 + 30, payload: a[30:]},
				{port: 2000, fromClient: true, seq: 100, payload: a[:40]},
				{port: 2000, fromClient: true, seq: 100, payload: a[:40]},
			},
			want: []string{"0.1 [::1]:2000 a.example"},
		},
		{
			name: "streams numbered by first packet, not by hello",
			pkts: []pkt{
				{port: 3000, fromClient: true, seq: 1, syn: true},
				{port: 3001, fromClient: true, seq: 1, syn: true},
				{port: 3001, fromClient: true, seq: 2, payload: b},
				{port: 3000, fromClient: true, seq: 2, payload: a},
			},
			want: []string{"0.1 [::1]:3000 a.example", "1.1 [::1]:3001 b.example"},
		},
		{
			name: "second hello after HelloRetryRequest",
			pkts: []pkt{
				{port: 4000, fromClient: true, seq: 1, syn: true},
				{port: 4000, fromClient: true, seq: 2, payload: append(append(append([]byte{}, a...), 20, 3, 3, 0, 1, 1), a...)},
			},
			want: []string{"0.1 [::1]:4000 a.example", "0.2 [::1]:4000 a.example"},
		},
		{
			name: "truncated hello is reported",
			pkts: []pkt{
				{port: 5000, fromClient: true, seq: 1, syn: true},
				{port: 5000, fromClient: true, seq: 2, payload: a[:20]},
			},
			want: []string{"0 error: truncated"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := ReadCapture(context.Background(), bytes.NewReader(writeCapture(t, tt.pkts)), CaptureOptions{}, func(h CaptureHello) error {
				if h.Err != nil {
					if errors.Is(h.Err, ErrTruncated) {
						got = append(got, fmt.Sprintf("%d error: truncated", h.Stream))
					} else {
						got = append(got, fmt.Sprintf("%d error: %v", h.Stream, h.Err))
					}
					return nil
				}
				got = append(got, fmt.Sprintf("%d.%d [%s]:%d %s", h.Stream, h.Index, h.Src, h.SrcPort, h.Hello.ServerName))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("hellos (-got +want):\n%s", diff)
			}
		})
	}
}

func TestReadCaptureBadHeader(t *testing.T) {
	err := ReadCapture(context.Background(), bytes.NewReader([]byte("not a capture at all")), CaptureOptions{}, func(CaptureHello) error { return nil })
	if err == nil {
		t.Fatal("ReadCapture(garbage) succeeded")
	}
}
