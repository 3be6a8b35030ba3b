package boundedio

import (
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadAll(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		limit   int64
		want    string
		tooMuch bool
	}{
		{name: "under the limit", input: "abc", limit: 4, want: "abc"},
		{name: "exactly the limit", input: "abcd", limit: 4, want: "abcd"},
		{name: "one byte over", input: "abcde", limit: 4, tooMuch: true},
		{name: "far over", input: strings.Repeat("x", 1<<16), limit: 10, tooMuch: true},
		{name: "empty", input: "", limit: 0, want: ""},
		{name: "zero limit, one byte", input: "a", limit: 0, tooMuch: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadAll(strings.NewReader(tt.input), tt.limit)
			if tt.tooMuch {
				if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "byte limit") {
					t.Fatalf("err = %v, want ErrTooLarge naming the limit", err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("ReadAll = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestReadAllReadError(t *testing.T) {
	boom := errors.New("boom")
	if _, err := ReadAll(iotest.ErrReader(boom), 10); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the reader's error", err)
	}
}
