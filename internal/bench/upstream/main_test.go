package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHandle(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		body       string
		wantStatus int
		wantBody   string
	}{
		{name: "get", method: http.MethodGet, wantStatus: http.StatusOK, wantBody: string(okBody)},
		{name: "form post", method: http.MethodPost, body: "a=1&b=" + strings.Repeat("x", 1018), wantStatus: http.StatusOK, wantBody: "{\"status\":\"ok\",\"received\":1024}\n"},
		{name: "post too large", method: http.MethodPost, body: strings.Repeat("x", maxBody+1), wantStatus: http.StatusRequestEntityTooLarge, wantBody: "body too large or unreadable\n"},
		{name: "delete refused", method: http.MethodDelete, wantStatus: http.StatusMethodNotAllowed, wantBody: "method not allowed\n"},
	}
	srv := httptest.NewServer(newServer().Handler)
	defer srv.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+"/", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if diff := cmp.Diff(string(got), tt.wantBody); diff != "" {
				t.Errorf("body (-got +want):\n%s", diff)
			}
		})
	}
}
