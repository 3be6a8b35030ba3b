// Command gen writes the deterministic Kubernetes benchmark corpus.
//
//	go run ./internal/bench/k8scorpus/gen -out DIR -docs 10000 -seed 1
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/rampart-sec/rampart/internal/bench/k8scorpus"
)

func main() {
	out := flag.String("out", "", "output directory (required; created if missing)")
	docs := flag.Int("docs", 10000, "number of Kubernetes documents to generate")
	seed := flag.Int64("seed", 1, "random seed; the same seed and -docs give identical files")
	quiet := flag.Bool("q", false, "do not print the per-kind summary")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gen -out DIR [-docs N] [-seed S] [-q]")
		os.Exit(2)
	}
	stats, err := k8scorpus.Generate(*out, *docs, *seed)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
	if !*quiet {
		fmt.Printf("%s: %s", *out, stats)
	}
}
