package secret

import (
	"encoding/base64"
	"math/rand/v2"
	"strings"
)

// The credentials in these tests are generated, never written out as
// literals: they look real to gitleaks' rules (right shape, high entropy)
// but were never issued, and the repository holds no secret-shaped strings
// for other scanners to flag. AWS's documentation key (AKIA...EXAMPLE) would
// not do: gitleaks allowlists it.

const (
	base32Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	alnum       = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

func randString(r *rand.Rand, alphabet string, n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

// fakes generates one credential of each kind from a fixed seed.
type fakes struct {
	AWSKey, GitHubToken, PrivateKey, PrivateKeyBody, Internal string
}

func newFakes(seed uint64) fakes {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	body := make([]byte, 144)
	for i := range body {
		body[i] = byte(r.IntN(256))
	}
	b64 := base64.StdEncoding.EncodeToString(body)
	var lines []string
	for len(b64) > 64 {
		lines = append(lines, b64[:64])
		b64 = b64[64:]
	}
	lines = append(lines, b64)
	kind := "RSA " + "PRIVATE" + " KEY"
	return fakes{
		AWSKey:         "AKIA" + randString(r, base32Upper, 16),
		GitHubToken:    "ghp_" + randString(r, alnum, 36),
		PrivateKeyBody: lines[0],
		PrivateKey:     "-----BEGIN " + kind + "-----\n" + strings.Join(lines, "\n") + "\n-----END " + kind + "-----\n",
		Internal:       "rmp_" + strings.ToLower(randString(r, alnum, 24)),
	}
}
