//go:build race

package waf

// raceDetector: the race detector slows the single-goroutine differential
// tests about tenfold without checking anything more in them; they then run
// on a sample (make test runs them in full without it).
const raceDetector = true
