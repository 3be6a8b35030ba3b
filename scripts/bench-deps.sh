#!/usr/bin/env bash
# Vulnerability matching against osv-scanner on the same input: a go.mod
# requiring every module the Go vulnerability database names (1,371, at
# v0.1.0 or vN.0.0), both tools offline on the same Go all.zip built from
# ../shared/testdata/osv-go. Prints wall/CPU/RSS per run and the advisories
# each tool reports that the other does not.
#
#   scripts/bench-deps.sh          # RUNS=3, OSV_SCANNER_VERSION=v2.6.0
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=auto
RUNS=${RUNS:-3}
OSV_SCANNER_VERSION=${OSV_SCANNER_VERSION:-v2.6.0}
BIN=${BENCH_BIN:-$HOME/.cache/rampart-bench/bin}
DATA=../shared/testdata/osv-go
[ -d "$DATA" ] || { echo "bench-deps: $DATA is missing" >&2; exit 2; }
command -v zip >/dev/null || { echo "bench-deps: needs zip (apt-get install zip)" >&2; exit 2; }
mkdir -p "$BIN"
if [ ! -x "$BIN/osv-scanner" ] || [ "$(cat "$BIN/osv-scanner.version" 2>/dev/null)" != "$OSV_SCANNER_VERSION" ]; then
	echo "bench-deps: building osv-scanner $OSV_SCANNER_VERSION" >&2
	GOBIN="$BIN" go install "github.com/google/osv-scanner/v2/cmd/osv-scanner@$OSV_SCANNER_VERSION"
	echo "$OSV_SCANNER_VERSION" > "$BIN/osv-scanner.version"
fi
go build -o "$BIN/rampart-bench" ./cmd/rampart

tmp=$(mktemp -d)
trap 'kill $srv 2>/dev/null || true; [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT
mkdir -p "$tmp/mirror/Go" "$tmp/osvdb/osv-scalibr/Go" "$tmp/app"
(cd "$DATA" && zip -q -r "$tmp/mirror/Go/all.zip" .)
cp "$tmp/mirror/Go/all.zip" "$tmp/osvdb/osv-scalibr/Go/all.zip"
python3 - "$DATA" "$tmp/app/go.mod" <<'PY'
import glob, json, re, sys
mods = set()
for f in glob.glob(sys.argv[1] + "/*.json"):
    for a in json.load(open(f)).get("affected", []):
        n = a["package"]["name"]
        if n not in ("stdlib", "toolchain") and "." in n.split("/")[0]:
            mods.add(n)
with open(sys.argv[2], "w") as w:
    w.write("module example.com/bench\n\ngo 1.22\n\nrequire (\n")
    for n in sorted(mods):
        m = re.search(r"/v(\d+)$", n)          # /vN major suffix, N >= 2
        g = re.search(r"^gopkg\.in/.*\.v(\d+)$", n)  # gopkg.in/x.vN
        v = f"v{g.group(1)}.0.0" if g else f"v{m.group(1)}.0.0" if m and int(m.group(1)) >= 2 else "v0.1.0"
        w.write(f"\t{n} {v}\n")
    w.write(")\n")
print(f"bench-deps: go.mod with {len(mods)} modules", file=sys.stderr)
PY
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$tmp/mirror" > "$tmp/http.log" 2>&1 &
srv=$!
for _ in $(seq 50); do port=$(grep -o 'port [0-9]*' "$tmp/http.log" | cut -d' ' -f2) && [ -n "$port" ] && break; sleep 0.1; done
"$BIN/rampart-bench" db update --db-dir "$tmp/db" --db-url "http://127.0.0.1:$port" --ecosystems Go >/dev/null

for i in $(seq "$RUNS"); do
	/usr/bin/time -f "rampart     run $i: wall %e s, cpu %U+%S s, rss %M KB" \
		"$BIN/rampart-bench" scan fs --offline --db-dir "$tmp/db" --scanners vuln --skip-reachability --format json "$tmp/app" > "$tmp/r.json" 2> "$tmp/r.err" || true
	tail -1 "$tmp/r.err"
	OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY="$tmp/osvdb" /usr/bin/time -f "osv-scanner run $i: wall %e s, cpu %U+%S s, rss %M KB" \
		"$BIN/osv-scanner" scan source --offline-vulnerabilities --format json -r "$tmp/app" > "$tmp/o.json" 2> "$tmp/o.err" || true
	tail -1 "$tmp/o.err"
done
python3 - "$tmp/r.json" "$tmp/o.json" <<'PY'
import json, sys
r = {(f["package"]["name"], f["rule_id"]) for f in json.load(open(sys.argv[1]))["findings"] if f["kind"] == "vulnerability"}
o = {(p["package"]["name"], v["id"]) for res in json.load(open(sys.argv[2])).get("results", [])
     for p in res.get("packages", []) for v in p.get("vulnerabilities", [])}
print(f"rampart: {len(r)} advisories; osv-scanner: {len(o)}")
for name, only in (("rampart", r - o), ("osv-scanner", o - r)):
    mods = sorted({n for n, _ in only})
    print(f"only {name}: {len(only)} advisories on {len(mods)} modules, e.g. {mods[:3]}")
PY
