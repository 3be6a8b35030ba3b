//go:build ignore

// Regenerates the example-only certificates in this directory:
//
//	go run ./examples/gateway/certs/gen.go
//
// They protect nothing: the keys are public in this repository.
package main

import (
	"log"
	"time"

	"github.com/rampart-sec/rampart/internal/gateway/testcert"
)

func main() {
	if err := testcert.WriteExample("examples/gateway/certs", 10*365*24*time.Hour); err != nil {
		log.Fatal(err)
	}
}
