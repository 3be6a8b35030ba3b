package cli_test

import (
	"context"
	"testing"

	"github.com/rampart-sec/rampart/internal/vulndb"
)

// updateDB fills a database from the test mirror.
func updateDB(t *testing.T, url, dir string) {
	t.Helper()
	res, err := vulndb.Update(context.Background(), vulndb.UpdateOptions{Dir: dir, BaseURL: url, Ecosystems: []string{"Go", "npm", "PyPI"}})
	if err != nil {
		t.Fatalf("update: %v (%+v)", err, res)
	}
}
