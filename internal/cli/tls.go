package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/internal/gateway/tlsfp"
)

func newTLSCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tls",
		Short: "TLS client fingerprints (JA4, JA3)",
	}
	cmd.AddCommand(newTLSFingerprintCmd(e))
	return cmd
}

const tlsFingerprintHelp = `Print the JA4 (with its raw and original-order forms) and JA3 fingerprints
of every TLS ClientHello in a packet capture, one JSON object per line.

pcap and pcapng files are read (Ethernet, Linux cooked, raw IP; IPv4 and
IPv6); TCP connections are reassembled, so hellos split over several
segments or records are read whole. "stream" numbers TCP connections from 0
in order of their first packet, like Wireshark's tcp.stream. A stream that
starts like TLS but whose hello cannot be read is reported on stderr. QUIC
hellos are not read from captures.`

// tlsFingerprintLine is one output line; the field order is the documented one.
type tlsFingerprintLine struct {
	Stream  int    `json:"stream"`
	Src     string `json:"src"`
	Dst     string `json:"dst"`
	SrcPort uint16 `json:"srcport"`
	DstPort uint16 `json:"dstport"`
	SNI     string `json:"sni"`
	JA4     string `json:"ja4"`
	JA4R    string `json:"ja4_r"`
	JA4O    string `json:"ja4_o"`
	JA4RO   string `json:"ja4_ro"`
	JA3     string `json:"ja3"`
	JA3Hash string `json:"ja3_hash"`
}

func newTLSFingerprintCmd(e *env) *cobra.Command {
	var pcap, output string
	cmd := &cobra.Command{
		Use:     "fingerprint --pcap FILE",
		Short:   "Fingerprint the TLS ClientHellos in a pcap or pcapng capture",
		Long:    tlsFingerprintHelp,
		Example: "  rampart tls fingerprint --pcap capture.pcapng\n  rampart tls fingerprint --pcap capture.pcap -o hellos.jsonl",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if pcap == "" {
				return usageError(errors.New("--pcap is required"))
			}
			in, err := os.Open(pcap)
			if err != nil {
				return failedError(fmt.Errorf("open capture: %w", err))
			}
			defer in.Close()
			var w io.Writer = e.stdout
			var out *os.File
			if output != "" {
				if out, err = os.Create(output); err != nil {
					return failedError(fmt.Errorf("open output: %w", err))
				}
				defer out.Close()
				w = out
			}
			bw := bufio.NewWriter(w)
			enc := json.NewEncoder(bw)
			err = tlsfp.ReadCapture(cmd.Context(), in, tlsfp.CaptureOptions{Logger: e.log}, func(h tlsfp.CaptureHello) error {
				if h.Err != nil {
					e.log.Warn("unreadable client hello", "file", pcap, "stream", h.Stream,
						"src", fmt.Sprintf("%s:%d", h.Src, h.SrcPort), "err", h.Err)
					return nil
				}
				fp := h.Hello.Fingerprint(tlsfp.ProtoTCP)
				return enc.Encode(tlsFingerprintLine{
					Stream: h.Stream, Src: h.Src.String(), Dst: h.Dst.String(),
					SrcPort: h.SrcPort, DstPort: h.DstPort, SNI: fp.SNI,
					JA4: fp.JA4, JA4R: fp.JA4R, JA4O: fp.JA4O, JA4RO: fp.JA4RO,
					JA3: fp.JA3, JA3Hash: fp.JA3Hash,
				})
			})
			if err == nil {
				err = bw.Flush()
			}
			if err == nil && out != nil {
				err = out.Close()
			}
			if err != nil {
				return failedError(fmt.Errorf("%s: %w", pcap, err))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&pcap, "pcap", "", "pcap or pcapng file to read")
	f.StringVarP(&output, "output", "o", "", "write the JSON lines to this file instead of stdout")
	return cmd
}
