//go:build !race

package waf

const raceDetector = false
