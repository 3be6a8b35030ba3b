package tlsfp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"slices"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// CaptureHello is one ClientHello found in a packet capture, or the error
// that kept a TLS stream's hello from being read.
type CaptureHello struct {
	// Stream numbers TCP connections from 0 in order of their first packet,
	// as Wireshark's tcp.stream does.
	Stream  int
	Index   int // 1 for the first hello of the stream, 2 after a HelloRetryRequest
	Src     netip.Addr
	Dst     netip.Addr
	SrcPort uint16
	DstPort uint16
	Hello   *ClientHello
	Err     error // set when the stream starts like TLS but its hello is bad
}

// CaptureOptions bound the work ReadCapture does.
type CaptureOptions struct {
	// MaxStreamBytes is how many bytes from the start of each direction of
	// a TCP connection are kept for reassembly (default 64 KiB).
	MaxStreamBytes int
	Logger         *slog.Logger
}

const defaultMaxStreamBytes = 64 << 10

// ReadCapture reads a pcap or pcapng capture, reassembles the first bytes of
// every TCP connection (IPv4 and IPv6, out-of-order segments and
// retransmissions included) and calls fn for every ClientHello, in stream
// order. Packets that do not decode are skipped and logged at debug level.
// QUIC and DTLS hellos are not read from captures.
func ReadCapture(ctx context.Context, r io.Reader, opts CaptureOptions, fn func(CaptureHello) error) error {
	if opts.MaxStreamBytes <= 0 {
		opts.MaxStreamBytes = defaultMaxStreamBytes
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	br := bufio.NewReader(r)
	magic, err := br.Peek(4)
	if err != nil {
		return fmt.Errorf("read capture header: %w", err)
	}
	var src interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	var linkType func(ci gopacket.CaptureInfo) layers.LinkType
	if binary.BigEndian.Uint32(magic) == 0x0a0d0d0a {
		ng, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true, SkipUnknownVersion: true})
		if err != nil {
			return fmt.Errorf("read pcapng header: %w", err)
		}
		src = ng
		first := ng.LinkType()
		linkType = func(ci gopacket.CaptureInfo) layers.LinkType {
			if len(ci.AncillaryData) > 0 {
				if lt, ok := ci.AncillaryData[0].(layers.LinkType); ok {
					return lt
				}
			}
			return first
		}
	} else {
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return fmt.Errorf("read pcap header: %w", err)
		}
		src = pr
		lt := pr.LinkType()
		linkType = func(gopacket.CaptureInfo) layers.LinkType { return lt }
	}

	t := newTracker(opts.MaxStreamBytes)
	for n := 1; ; n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		data, ci, err := src.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A damaged record ends the capture: its length fields can no
			// longer be trusted to find the next one.
			log.Warn("capture ends early", "packet", n, "err", err)
			break
		}
		if err := t.packet(data, linkType(ci)); err != nil {
			log.Debug("skip packet", "packet", n, "err", err)
		}
	}
	return t.emit(fn)
}

// tracker numbers TCP connections and keeps the first bytes of each side.
type tracker struct {
	maxBytes int
	convs    map[convKey]*conv
	order    []*conv
}

type endpoint struct {
	addr netip.Addr
	port uint16
}

// convKey is the connection's endpoints in a canonical order.
type convKey struct{ a, b endpoint }

func keyOf(src, dst endpoint) convKey {
	if c := src.addr.Compare(dst.addr); c < 0 || c == 0 && src.port <= dst.port {
		return convKey{src, dst}
	}
	return convKey{dst, src}
}

type conv struct {
	id     int
	first  endpoint // sender of the conversation's first packet
	dirs   [2]*flow // [0] from first, [1] towards first
	closed bool     // FIN or RST seen
	synSeq uint32
	hasSyn bool
}

type segment struct {
	seq  uint32
	data []byte
}

// flow is one direction of a connection: its endpoints and the segments
// that fall inside the first maxBytes bytes.
type flow struct {
	src, dst endpoint
	hasISN   bool
	isn      uint32
	segs     []segment
	stored   int
	// Set once the outcome is known; segs is then dropped.
	done   bool
	hellos []*ClientHello
	err    error
}

func newTracker(maxBytes int) *tracker {
	return &tracker{maxBytes: maxBytes, convs: map[convKey]*conv{}}
}

// packet decodes one captured packet and files its TCP payload.
func (t *tracker) packet(data []byte, lt layers.LinkType) error {
	p := gopacket.NewPacket(data, lt, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	var src, dst netip.Addr
	var tcp *layers.TCP
	// The IP layer right before TCP is the connection's (tunnels put
	// outer IP headers first).
	for _, l := range p.Layers() {
		switch l := l.(type) {
		case *layers.IPv4:
			if l.FragOffset != 0 || l.Flags&layers.IPv4MoreFragments != 0 {
				return errors.New("ipv4 fragment not reassembled")
			}
			src, _ = netip.AddrFromSlice(l.SrcIP.To4())
			dst, _ = netip.AddrFromSlice(l.DstIP.To4())
		case *layers.IPv6:
			src, _ = netip.AddrFromSlice(l.SrcIP.To16())
			dst, _ = netip.AddrFromSlice(l.DstIP.To16())
		case *layers.TCP:
			tcp = l
		}
		if tcp != nil {
			break
		}
	}
	if tcp == nil || !src.IsValid() || !dst.IsValid() {
		if el := p.ErrorLayer(); el != nil {
			return fmt.Errorf("decode: %w", el.Error())
		}
		return errors.New("not tcp over ip")
	}
	s := endpoint{src, uint16(tcp.SrcPort)}
	d := endpoint{dst, uint16(tcp.DstPort)}
	key := keyOf(s, d)
	c := t.convs[key]
	// A new SYN on a finished connection, or a SYN with another initial
	// sequence number, starts a new stream (port reuse), as in Wireshark.
	if c != nil && tcp.SYN && !tcp.ACK && s == c.first && (c.closed || c.hasSyn && c.synSeq != tcp.Seq) {
		c = nil
	}
	if c == nil {
		c = &conv{id: len(t.order), first: s}
		c.dirs[0] = &flow{src: s, dst: d}
		c.dirs[1] = &flow{src: d, dst: s}
		t.convs[key] = c
		t.order = append(t.order, c)
	}
	if tcp.SYN && !tcp.ACK && s == c.first {
		c.hasSyn, c.synSeq = true, tcp.Seq
	}
	if tcp.FIN || tcp.RST {
		c.closed = true
	}
	f := c.dirs[0]
	if s != c.first {
		f = c.dirs[1]
	}
	if tcp.SYN {
		f.hasISN, f.isn = true, tcp.Seq+1
		return nil
	}
	if f.add(tcp.Seq, tcp.Payload, t.maxBytes) && f.hasISN {
		f.settle(t.maxBytes, false)
	}
	return nil
}

// add keeps a copy of a segment while the direction's budget lasts. Which
// segments are in range is decided at assembly; the budget bounds memory.
func (f *flow) add(seq uint32, payload []byte, maxBytes int) bool {
	if f.done || len(payload) == 0 || f.stored >= maxBytes {
		return false
	}
	if f.hasISN && int32(seq-f.isn) >= int32(maxBytes) {
		return false
	}
	if len(payload) > maxBytes-f.stored {
		payload = payload[:maxBytes-f.stored]
	}
	f.segs = append(f.segs, segment{seq: seq, data: bytes.Clone(payload)})
	f.stored += len(payload)
	return true
}

// assemble returns the contiguous bytes from the start of the direction:
// after the SYN when it was captured, else from the lowest sequence seen.
func (f *flow) assemble(maxBytes int) []byte {
	if len(f.segs) == 0 {
		return nil
	}
	base := f.isn
	if !f.hasISN {
		base = f.segs[0].seq
		for _, s := range f.segs[1:] {
			if int32(s.seq-base) < 0 {
				base = s.seq
			}
		}
	}
	type piece struct {
		off  int
		data []byte
	}
	pieces := make([]piece, 0, len(f.segs))
	for _, s := range f.segs {
		off := int(int32(s.seq - base))
		data := s.data
		if off < 0 {
			if -off >= len(data) {
				continue
			}
			data, off = data[-off:], 0
		}
		if off >= maxBytes {
			continue
		}
		pieces = append(pieces, piece{off, data})
	}
	slices.SortStableFunc(pieces, func(a, b piece) int { return a.off - b.off })
	var out []byte
	for _, p := range pieces {
		if p.off > len(out) {
			break // a gap: the missing segment was not captured
		}
		if end := p.off + len(p.data); end > len(out) {
			out = append(out, p.data[len(out)-p.off:]...)
		}
	}
	if len(out) > maxBytes {
		out = out[:maxBytes]
	}
	return out
}

// settle reads the hellos from the contiguous start of the direction. Once
// the outcome can no longer change (final, the budget is used up, or the
// stream went past its hellos) it is kept and the segments are freed, which
// bounds memory to the connections still in their handshake.
func (f *flow) settle(maxBytes int, final bool) {
	b := f.assemble(maxBytes)
	if len(b) == 0 {
		if final {
			f.done, f.segs = true, nil
		}
		return
	}
	if b[0] != recordHandshake {
		f.done, f.segs = true, nil // not TLS, or not from its start
		return
	}
	hellos, complete, err := scanHellos(b)
	if complete || final || len(b) >= maxBytes {
		f.done, f.segs = true, nil
		f.hellos, f.err = hellos, err
	}
}

func (t *tracker) emit(fn func(CaptureHello) error) error {
	for _, c := range t.order {
		for _, f := range c.dirs {
			if !f.done {
				f.settle(t.maxBytes, true)
			}
			if errors.Is(f.err, errServerSide) {
				continue // the server's side of the connection
			}
			base := CaptureHello{Stream: c.id, Src: f.src.addr, Dst: f.dst.addr, SrcPort: f.src.port, DstPort: f.dst.port}
			for i, ch := range f.hellos {
				h := base
				h.Index, h.Hello = i+1, ch
				if err := fn(h); err != nil {
					return err
				}
			}
			if f.err != nil && len(f.hellos) == 0 {
				h := base
				h.Err = f.err
				if err := fn(h); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// errServerSide marks a byte stream that starts with a ServerHello.
var errServerSide = errors.New("server hello")

const typeServerHello = 2

// scanHellos reads the cleartext ClientHellos at the start of a client's
// byte stream: the first one, and a second one after a HelloRetryRequest
// (recognised by its unchanged random). It stops at application data or at
// any other handshake message, after which records are encrypted. The error
// is the reason the first hello could not be read. complete is false when
// more bytes of the stream could still add a hello or fix the error.
func scanHellos(b []byte) (hellos []*ClientHello, complete bool, err error) {
	var hs handshakeReader
	var out []*ClientHello
	for off := 0; off < len(b); {
		if len(b)-off >= recordHeaderLen && (b[off] == recordChangeCipherSpec || b[off] == recordAlert) {
			off += recordHeaderLen + int(binary.BigEndian.Uint16(b[off+3:]))
			continue
		}
		version := uint16(0)
		if len(b)-off >= 3 {
			version = binary.BigEndian.Uint16(b[off+1:])
		}
		n, err := hs.feedRecord(b[off:], off)
		if err != nil {
			return out, !errors.Is(err, ErrTruncated), err
		}
		off += n
		for {
			if len(out) == 0 && len(hs.buf) > 0 && hs.buf[0] != typeClientHello {
				if hs.buf[0] == typeServerHello {
					return nil, true, errServerSide
				}
				return nil, true, fmt.Errorf("handshake type %d, want client hello (1): %w", hs.buf[0], ErrMalformed)
			}
			msg, err := hs.next()
			if err != nil {
				return out, true, err
			}
			if msg == nil {
				break
			}
			if msg[0] != typeClientHello {
				return out, true, nil
			}
			ch, err := parseHello(msg, version)
			if err != nil {
				return out, true, err
			}
			if len(out) > 0 && !bytes.Equal(ch.Random, out[0].Random) {
				return out, true, nil
			}
			out = append(out, ch)
		}
	}
	if len(out) == 0 {
		return nil, false, fmt.Errorf("stream ends after %d bytes: %w", len(b), ErrTruncated)
	}
	return out, false, nil
}
