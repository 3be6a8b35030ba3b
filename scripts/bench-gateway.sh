#!/usr/bin/env bash
# bench-gateway.sh — throughput, CPU per request, latency and memory of
# `rampart gateway` against nginx (plain reverse proxy, and with ModSecurity v3
# + the OWASP CRS), all on 127.0.0.1 in one run.
#
#   scripts/bench-gateway.sh           # or: make bench-gateway
#
# Rows (each measured for a GET and for a 1 KB urlencoded form POST):
#   upstream       the Go upstream (internal/bench/upstream) without a proxy
#   nginx          nginx as a plain reverse proxy, keepalive to the upstream,
#                  adding the forwarding fields the gateway adds (BENCH_NGINX_FIELDS)
#   gw             the gateway with no guards
#   gw-tls         the gateway with no guards, over HTTPS
#   gw-tls-rl-fp   the gateway with rate limits (never triggered) and TLS
#                  fingerprinting, over HTTPS
#   nginx-modsec   nginx + ModSecurity v3 + CRS, paranoia level 1, blocking
#   gw-crs         the gateway with its WAF (CRS), paranoia level 1, blocking
# Then a paced run at half of the guarded gateway's peak rate (upstream,
# gw-tls, gw-tls-rl-fp) gives the p99 latency the guards add.
#
# Every row's server runs for the whole peak phase, and each peak cell is
# measured in BENCH_ROUNDS bursts that alternate between the rows (GET, every
# row in turn, BENCH_ROUNDS times; then POST): load from elsewhere on the
# machine, which drifts over minutes, then falls on every row alike, and the
# ratios compare like with like. Per cell: a short warm-up, then the bursts;
# CPU per request is the proxy processes' utime+stime (from /proc/PID/stat,
# summed over nginx's master and workers) during the bursts divided by the
# requests wrk completed in them; req/s is those requests over the bursts'
# time; p50 and p99 are the medians of the bursts'; peak RSS is VmHWM after
# all load (summed over nginx's processes). nginx gets as many workers as the
# gateway's GOMAXPROCS.
#
# Environment:
#   BENCH_DURATION=20     measured seconds per cell, split over the rounds
#   BENCH_ROUNDS=10       alternating bursts per peak cell (each at least 1 s)
#   BENCH_WARMUP=2        warm-up seconds per cell (not measured)
#   BENCH_CONNECTIONS=64  wrk connections for the peak runs
#   BENCH_THREADS         wrk threads (default: number of CPUs)
#   BENCH_PROCS           GOMAXPROCS of the gateway = nginx worker_processes (default: number of CPUs)
#   BENCH_ROWS="upstream nginx gw gw-tls gw-tls-rl-fp nginx-modsec gw-crs"
#   BENCH_PACED=1         run the half-peak latency cells (0 to skip)
#   BENCH_PACED_ROUNDS=5  paced rounds per row, alternating rows; the verdict
#                         takes the median of the rounds' paired differences
#   BENCH_GW_BUILD=gateway  the gateway rows run the gateway-only build
#                         (make build-gateway), what an edge deployment
#                         runs; "full" runs the full binary with the scanners
#   BENCH_GW_ENGINE       the gateway's http1_engine (default: its own
#                         default, evloop on Linux; TLS rows use fasthttp)
#   BENCH_NGINX_FIELDS=gateway  the fields nginx adds to the request it
#                         forwards: "gateway" sets what the gateway sets by
#                         default (X-Forwarded-For, -Proto, -Host, Forwarded,
#                         X-Request-Id, which it also returns), so both proxies
#                         do the same work and the upstream parses the same
#                         request; "xff" sets only Host and X-Forwarded-For
#   BENCH_GW_LOG_LEVEL=info  the gateway's --log-level; info logs every
#                         request, as nginx's (buffered) access log does
#   KEEP_TMP=1            keep the temporary directory (configs, logs)
#
# Needs wrk, nginx, libnginx-mod-http-modsecurity and modsecurity-crs (Debian
# packages): installed with apt-get when running as root, otherwise the script
# says what to install and exits 2. wrk2 is not packaged in Debian, so the
# paced cells use wrk with a Lua delay() (see the generated paced.lua).
set -euo pipefail

export GOTOOLCHAIN=${GOTOOLCHAIN:-auto}

ncpu=$(getconf _NPROCESSORS_ONLN)
BENCH_DURATION=${BENCH_DURATION:-20}
BENCH_WARMUP=${BENCH_WARMUP:-2}
BENCH_ROUNDS=${BENCH_ROUNDS:-10}
BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-64}
BENCH_THREADS=${BENCH_THREADS:-$ncpu}
BENCH_PROCS=${BENCH_PROCS:-$ncpu}
BENCH_ROWS=${BENCH_ROWS:-upstream nginx gw gw-tls gw-tls-rl-fp nginx-modsec gw-crs}
BENCH_PACED=${BENCH_PACED:-1}
BENCH_GW_LOG_LEVEL=${BENCH_GW_LOG_LEVEL:-info}
BENCH_GW_BUILD=${BENCH_GW_BUILD:-gateway}
BENCH_GW_ENGINE=${BENCH_GW_ENGINE:-}
BENCH_PACED_ROUNDS=${BENCH_PACED_ROUNDS:-5}
BENCH_NGINX_FIELDS=${BENCH_NGINX_FIELDS:-gateway}
[[ $BENCH_NGINX_FIELDS == gateway || $BENCH_NGINX_FIELDS == xff ]] ||
	{ echo "bench-gateway: BENCH_NGINX_FIELDS must be gateway or xff" >&2; exit 2; }

# Debian's CRS 3.3 layout (modsecurity-crs package).
CRS_SETUP=/etc/modsecurity/crs/crs-setup.conf
CRS_RULES=/usr/share/modsecurity-crs/rules
MODSEC_MODULE=/usr/lib/nginx/modules/ngx_http_modsecurity_module.so

log() { printf '%s\n' "bench-gateway: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}
usage_die() {
	log "error: $*"
	exit 2
}

for v in BENCH_DURATION BENCH_ROUNDS BENCH_CONNECTIONS BENCH_THREADS BENCH_PROCS BENCH_PACED_ROUNDS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || usage_die "$v must be a positive integer, got '${!v}'"
done
[[ $BENCH_GW_BUILD == gateway || $BENCH_GW_BUILD == full ]] || usage_die "BENCH_GW_BUILD must be gateway or full, got '$BENCH_GW_BUILD'"
[[ $BENCH_WARMUP =~ ^[0-9]+$ ]] || usage_die "BENCH_WARMUP must be a non-negative integer, got '$BENCH_WARMUP'"
for r in $BENCH_ROWS; do
	case $r in upstream | nginx | gw | gw-tls | gw-tls-rl-fp | nginx-modsec | gw-crs) ;;
	*) usage_die "unknown row '$r' in BENCH_ROWS" ;;
	esac
done
want_row() { [[ " $BENCH_ROWS " == *" $1 "* ]]; }

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
[[ -f go.mod ]] || die "cannot find the repository root (no go.mod in $repo_root)"

# --- prerequisites ---------------------------------------------------------

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
[[ -f $MODSEC_MODULE ]] || missing+=(libnginx-mod-http-modsecurity)
[[ -f $CRS_SETUP && -d $CRS_RULES ]] || missing+=(modsecurity-crs)
command -v openssl >/dev/null || missing+=(openssl)
if ((${#missing[@]})); then
	if [[ $(id -u) -ne 0 ]]; then
		log "missing Debian packages: ${missing[*]}"
		log "install them as root:  apt-get update && apt-get install -y ${missing[*]}"
		exit 2
	fi
	log "installing ${missing[*]} with apt-get"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
clk_tck=$(getconf CLK_TCK)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rampart-gwbench.XXXXXX")
chmod 0755 "$tmp" # nginx workers may run as another user
pids=()           # every process this script started, stopped on exit
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	if [[ ${KEEP_TMP:-0} == 1 ]]; then
		log "kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port prints a TCP port nothing listens on at 127.0.0.1, below the
# kernel's ephemeral range so no outgoing connection holds it (a small race
# before we bind it remains; acceptable for a benchmark).
read -r eph_low _ </proc/sys/net/ipv4/ip_local_port_range
((eph_low > 12000)) || eph_low=32768
free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((10000 + RANDOM % (eph_low - 10000)))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	die "no free port found"
}

# wait_http URL [PID]: until the server answers anything, PID exits, or
# 120 s pass (loading the CRS takes a while on a busy machine).
wait_http() {
	local url=$1 pid=${2:-}
	for _ in $(seq 1 1200); do
		if curl -sk -o /dev/null --max-time 1 "$url"; then
			return 0
		fi
		if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
	return 1
}

# --- build -----------------------------------------------------------------

log "building the upstream and rampart"
go build -trimpath -o "$tmp/upstream" ./internal/bench/upstream
# gore2regex as in the Makefile; gatewayonly unless BENCH_GW_BUILD=full.
rampart_tags=gore2regex
[[ $BENCH_GW_BUILD == gateway ]] && rampart_tags+=,gatewayonly
go build -trimpath -tags "$rampart_tags" -o "$tmp/rampart" ./cmd/rampart
have_gateway=0
if "$tmp/rampart" gateway --help >/dev/null 2>&1 && "$tmp/rampart" gateway --help 2>&1 | grep -q -- '-c'; then
	have_gateway=1
else
	log "this tree has no 'rampart gateway' command: the gateway rows are skipped"
fi

# --- request bodies and wrk scripts ----------------------------------------

# A 1 KB (1024-byte) urlencoded form of ordinary text: what a contact form
# posts. Headers look like a browser's, so the CRS sees a normal request
# (no numeric Host, Accept and User-Agent present).
form="name=Jane+Doe&email=jane.doe%40example.com&subject=Question+about+order+10442&message="
words="Hello+team%2C+I+placed+an+order+last+week+and+would+like+to+know+when+it+will+ship.+The+tracking+page+still+shows+the+parcel+as+pending+and+I+have+not+received+any+email+since+the+confirmation.+Could+you+please+check+the+status+and+let+me+know+whether+anything+is+missing+from+my+side%3F+Thank+you+very+much+for+your+help+and+have+a+nice+day."
while ((${#form} < 1024)); do
	form+=$words
done
form=${form:0:1024}
[[ ${form: -1} == "%" || ${form: -2:1} == "%" ]] && form=${form:0:1021}xyz # never end in a cut escape

write_lua() { # write_lua FILE METHOD PACED
	local file=$1 method=$2 paced=$3
	{
		echo '-- generated by scripts/bench-gateway.sh'
		echo "wrk.method = \"$method\""
		echo 'wrk.headers["Host"] = "bench.example"'
		echo 'wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"'
		echo 'wrk.headers["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"'
		echo 'wrk.headers["Accept-Language"] = "en-US,en;q=0.5"'
		if [[ $method == POST ]]; then
			echo 'wrk.path = "/contact"'
			echo 'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"'
			echo "wrk.body = \"$form\""
		else
			echo 'wrk.path = "/api/items?category=books&page=2&sort=price"'
		fi
		if [[ $paced == 1 ]]; then
			# wrk2 is not packaged: pace with delay(). Each connection waits
			# a random 5..15 ms (mean 10 ms) between its requests, so the
			# rate is about connections*100/s and the connections do not
			# fire in lock step.
			echo 'function delay() return math.random(5, 15) end'
		fi
		cat <<-'LUA'
			function done(summary, latency, requests)
			  local e = summary.errors
			  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d status_errors=%d\n",
			    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
			    e.connect + e.read + e.write + e.timeout, e.status))
			end
		LUA
	} >"$file"
}
for m in GET POST; do
	write_lua "$tmp/peak-$m.lua" "$m" 0
	write_lua "$tmp/paced-$m.lua" "$m" 1
done

# --- process accounting ------------------------------------------------------

# proc_tree PID: the PID and its direct children (nginx master + workers).
proc_tree() {
	echo "$1"
	# ps pads pids with spaces, and fails when there is no child
	{ ps -o pid= --ppid "$1" 2>/dev/null || true; } | awk '{ print $1 }'
}
cpu_ticks() { # cpu_ticks PID...: utime+stime summed
	local total=0 p s
	for p in "$@"; do
		s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		s=${s##*) } # drop "pid (comm) ": comm may hold spaces
		read -r -a f <<<"$s"
		total=$((total + f[11] + f[12])) # fields 14 and 15 of stat(5)
	done
	echo "$total"
}
peak_rss_kb() { # peak_rss_kb PID...: VmHWM summed
	local total=0 p kb
	for p in "$@"; do
		kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null) || continue
		total=$((total + ${kb:-0}))
	done
	echo "$total"
}

# --- servers -----------------------------------------------------------------

up_port=$(free_port)
"$tmp/upstream" -listen "127.0.0.1:$up_port" 2>"$tmp/upstream.log" &
up_pid=$!
pids+=("$up_pid")
wait_http "http://127.0.0.1:$up_port/" "$up_pid" || die "upstream did not start (see $tmp/upstream.log)"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=bench.example" -addext "subjectAltName=DNS:bench.example,IP:127.0.0.1" \
	-keyout "$tmp/server.key" -out "$tmp/server.crt" 2>/dev/null || die "openssl could not make a test certificate"

# nginx_conf DIR PORT MODSEC: a self-contained config under DIR.
nginx_conf() {
	local dir=$1 port=$2 modsec=$3
	mkdir -p "$dir"/{logs,tmp}
	{
		[[ $modsec == 1 ]] && echo "load_module $MODSEC_MODULE;"
		[[ $(id -u) -eq 0 ]] && echo "user root;" # workers must read the temp dir
		cat <<-EOF
			worker_processes $BENCH_PROCS;
			pid $dir/nginx.pid;
			error_log $dir/logs/error.log warn;
			events { worker_connections 4096; }
			http {
			  access_log $dir/logs/access.log combined buffer=64k flush=1s;
			  client_body_temp_path $dir/tmp/body;
			  proxy_temp_path $dir/tmp/proxy;
			  fastcgi_temp_path $dir/tmp/fastcgi;
			  uwsgi_temp_path $dir/tmp/uwsgi;
			  scgi_temp_path $dir/tmp/scgi;
			  keepalive_requests 100000;
			  upstream origin {
			    server 127.0.0.1:$up_port;
			    keepalive 128;
			  }
		EOF
		[[ $modsec == 1 ]] && printf '  modsecurity on;\n  modsecurity_rules_file %s;\n' "$dir/modsec.conf"
		cat <<-EOF
			  server {
			    listen 127.0.0.1:$port default_server;
			    server_name _;
			    location / {
			      proxy_pass http://origin;
			      proxy_http_version 1.1;
			      proxy_set_header Connection "";
			      proxy_set_header Host \$host;
			      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
		EOF
		if [[ $BENCH_NGINX_FIELDS == gateway ]]; then
			# What the gateway adds by default, so both proxies do the same
			# work and the upstream parses the same request.
			cat <<-EOF
				      proxy_set_header X-Forwarded-Proto \$scheme;
				      proxy_set_header X-Forwarded-Host \$host;
				      proxy_set_header Forwarded "for=\$remote_addr;host=\\"\$host\\";proto=\$scheme";
				      proxy_set_header X-Request-Id \$request_id;
				      add_header X-Request-Id \$request_id always;
			EOF
		fi
		cat <<-EOF
			    }
			  }
			}
		EOF
	} >"$dir/nginx.conf"
	[[ $modsec == 1 ]] || return 0
	mkdir -p "$dir/modsec-tmp" "$dir/modsec-data"
	# The engine settings ModSecurity's recommended file would give (it is
	# not shipped in Debian's packages), blocking, with response bodies and
	# the audit log off as in the gateway's WAF defaults; then CRS at
	# paranoia level 1 with the CRS default anomaly thresholds (5 in, 4 out).
	cat >"$dir/modsec.conf" <<-EOF
		SecRuleEngine On
		SecRequestBodyAccess On
		SecRequestBodyLimit 13107200
		SecRequestBodyNoFilesLimit 131072
		SecRequestBodyLimitAction Reject
		SecResponseBodyAccess Off
		SecAuditEngine Off
		SecTmpDir $dir/modsec-tmp
		SecDataDir $dir/modsec-data
		SecArgumentSeparator &
		SecCookieFormat 0
		SecRule REQUEST_HEADERS:Content-Type "@rx ^application/json" "id:9400001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
		SecRule REQBODY_ERROR "!@eq 0" "id:9400002,phase:2,t:none,deny,status:400,log,msg:'request body could not be parsed'"
		Include $CRS_SETUP
		SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=1"
		SecAction "id:900110,phase:1,nolog,pass,t:none,setvar:tx.inbound_anomaly_score_threshold=5,setvar:tx.outbound_anomaly_score_threshold=4"
		Include $CRS_RULES/*.conf
	EOF
}

start_nginx() { # start_nginx NAME MODSEC -> sets srv_pid srv_url
	local name=$1 modsec=$2 dir=$tmp/$1 port
	port=$(free_port)
	nginx_conf "$dir" "$port" "$modsec"
	"$NGINX" -p "$dir" -c "$dir/nginx.conf" -t >"$dir/logs/configtest.log" 2>&1 ||
		die "nginx rejected $dir/nginx.conf: $(tail -3 "$dir/logs/configtest.log")"
	"$NGINX" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' 2>>"$dir/logs/stderr.log" &
	srv_pid=$!
	pids+=("$srv_pid")
	srv_url="http://127.0.0.1:$port"
	wait_http "$srv_url/" "$srv_pid" || die "$name did not start: $(tail -3 "$dir/logs/stderr.log" "$dir/logs/error.log" 2>&1)"
}

# gateway_conf FILE PORT TLSPORT ADMINPORT GUARDS (none|rl|crs)
gateway_conf() {
	local file=$1 port=$2 tport=$3 aport=$4 guards=$5
	[[ -n $BENCH_GW_ENGINE ]] && echo "http1_engine: \"$BENCH_GW_ENGINE\"" >"$file"
	cat >>"$file" <<-EOF
		listen:
		  - address: "127.0.0.1:$port"
		  - address: "127.0.0.1:$tport"
		    tls: { cert_file: "$tmp/server.crt", key_file: "$tmp/server.key" }
		admin: { address: "127.0.0.1:$aport" }
		routes:
		  - name: bench
		    match: { path_prefix: "/" }
		    upstream:
		      targets: ["http://127.0.0.1:$up_port"]
		      # wrk cancels its in-flight requests when a cell ends, and the
		      # gateway counts a client's cancellation as a target failure:
		      # five would eject the only target for 30 s. Ejection is not
		      # what this measures, so it is set out of reach.
		      passive: { max_failures: 1000000000 }
	EOF
	case $guards in
	rl) # limits far above what one machine can send: checked, never triggered
		cat >>"$file" <<-EOF
			    rate_limits:
			      - { name: per-ip, key: ip, rate: 100000, period: 1s, burst: 100000 }
			      - { name: per-ja4, key: ja4, rate: 100000, period: 1s, burst: 100000 }
		EOF
		;;
	crs)
		echo '    waf: { mode: block, paranoia_level: 1, inbound_threshold: 5, outbound_threshold: 4 }' >>"$file"
		;;
	esac
}

start_gateway() { # start_gateway NAME GUARDS -> sets srv_pid srv_url srv_tls_url
	local name=$1 guards=$2 dir=$tmp/$1 port tport aport
	mkdir -p "$dir"
	port=$(free_port)
	tport=$(free_port)
	aport=$(free_port)
	gateway_conf "$dir/gateway.yaml" "$port" "$tport" "$aport" "$guards"
	"$tmp/rampart" gateway validate -c "$dir/gateway.yaml" >"$dir/validate.log" 2>&1 ||
		die "gateway rejected $dir/gateway.yaml: $(tail -3 "$dir/validate.log")"
	GOMAXPROCS=$BENCH_PROCS "$tmp/rampart" gateway -c "$dir/gateway.yaml" --log-level "$BENCH_GW_LOG_LEVEL" >"$dir/stdout.log" 2>"$dir/stderr.log" &
	srv_pid=$!
	pids+=("$srv_pid")
	srv_url="http://127.0.0.1:$port"
	srv_tls_url="https://127.0.0.1:$tport"
	wait_http "$srv_url/" "$srv_pid" || die "$name did not start: $(tail -3 "$dir/stderr.log")"
	wait_http "$srv_tls_url/" "$srv_pid" || die "$name did not start its TLS listener: $(tail -3 "$dir/stderr.log")"
}

stop_server() { # stop_server PID
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# check_ok URL: a GET and the form POST must get 200 before measuring, so a
# WAF false positive (a fast 403) is never counted as throughput.
check_ok() {
	local url=$1 code
	for m in GET POST; do
		if [[ $m == GET ]]; then
			code=$(curl -sk -o /dev/null -w '%{http_code}' -H 'Host: bench.example' \
				-H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' \
				-H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' -H 'Accept-Language: en-US,en;q=0.5' \
				"$url/api/items?category=books&page=2&sort=price")
		else
			code=$(curl -sk -o /dev/null -w '%{http_code}' -H 'Host: bench.example' \
				-H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' \
				-H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' -H 'Accept-Language: en-US,en;q=0.5' \
				-H 'Content-Type: application/x-www-form-urlencoded' --data-binary "$form" "$url/contact")
		fi
		[[ $code == 200 ]] || die "$m $url answered $code, not 200: the benchmark request is refused"
	done
}

# --- measurement -------------------------------------------------------------

declare -A res # res[row,method,field]

# burst ROW METHOD SECONDS: one peak burst, added to the cell's totals.
burst() {
	local row=$1 m=$2 secs=$3 out before after
	local -a procs
	read -r -a procs <<<"${procs_of[$row]}"
	before=$(cpu_ticks "${procs[@]}")
	out=$(wrk -t "$BENCH_THREADS" -c "$BENCH_CONNECTIONS" -d "${secs}s" -s "$tmp/peak-$m.lua" "${url_of[$row]}" 2>&1) ||
		die "wrk failed on $row $m: $out"
	after=$(cpu_ticks "${procs[@]}")
	add_result "$row" "$m" "$out" $((after - before))
}

# add_result ROW METHOD WRK_OUTPUT TICKS: one wrk run's RESULT line (and the
# CPU ticks it cost) added to the cell's totals; finish_cell sums them up.
add_result() {
	local row=$1 m=$2 out=$3 ticks=$4 kv k v
	[[ $out == *RESULT* ]] || die "no result from wrk for $row $m: $out"
	for kv in ${out##*RESULT }; do
		k=${kv%%=*} v=${kv#*=}
		v=${v//[^0-9]/}
		case $k in
		p50_us | p99_us) res[$row,$m,$k-list]+=" $v" ;;
		*) res[$row,$m,$k-sum]=$((${res[$row,$m,$k-sum]:-0} + v)) ;;
		esac
	done
	res[$row,$m,ticks-sum]=$((${res[$row,$m,ticks-sum]:-0} + ticks))
}

# finish_cell ROW METHOD: the cell's figures from its runs.
finish_cell() {
	local row=$1 m=$2 req dur
	req=${res[$row,$m,requests-sum]:-0}
	dur=${res[$row,$m,duration_us-sum]:-0}
	((req > 0 && dur > 0)) || die "$row $m: wrk completed no request"
	res[$row,$m,rps]=$((req * 1000000 / dur))
	# CPU µs per request, to 0.1 µs, kept as tenths
	res[$row,$m,cpu10]=$((res[$row,$m,ticks-sum] * 10000000 / clk_tck / req))
	# shellcheck disable=SC2086 # the lists are space-separated numbers
	res[$row,$m,p50_us]=$(median ${res[$row,$m,p50_us-list]})
	# shellcheck disable=SC2086
	res[$row,$m,p99_us]=$(median ${res[$row,$m,p99_us-list]})
	res[$row,$m,errors]=${res[$row,$m,errors-sum]:-0}
	res[$row,$m,status_errors]=${res[$row,$m,status_errors-sum]:-0}
	if ((res[$row,$m,errors] + res[$row,$m,status_errors] > 0)); then
		log "warning: $row $m: ${res[$row,$m,errors]} socket errors, ${res[$row,$m,status_errors]} non-2xx/3xx answers"
	fi
	log "$row $m: ${res[$row,$m,rps]} req/s, $(tenths "${res[$row,$m,cpu10]}") µs CPU/req, p50 ${res[$row,$m,p50_us]} µs, p99 ${res[$row,$m,p99_us]} µs"
}

# paced ROW METHOD URL RATE: p50/p99 at a fixed offered rate.
paced() {
	local row=$1 m=$2 url=$3 rate=$4 conns out
	conns=$(((rate + 50) / 100)) # 100 req/s per connection (10 ms mean delay)
	((conns >= BENCH_THREADS)) || conns=$BENCH_THREADS
	out=$(wrk -t "$BENCH_THREADS" -c "$conns" -d "${BENCH_DURATION}s" -s "$tmp/paced-$m.lua" "$url" 2>&1) ||
		die "wrk failed on paced $row $m: $out"
	add_result "paced-$row" "$m" "$out" 0 # the CPU is not what this measures
	finish_cell "paced-$row" "$m"
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
tenths() { printf '%d.%d' $(($1 / 10)) $(($1 % 10)); }
ratio() { # ratio A B: A/B with two decimals
	awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "–"; else printf "%.2f", a / b }'
}
ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }

log "GOMAXPROCS=$BENCH_PROCS, nginx workers=$BENCH_PROCS, nginx fields=$BENCH_NGINX_FIELDS, wrk -t$BENCH_THREADS -c$BENCH_CONNECTIONS, gateway http1_engine=${BENCH_GW_ENGINE:-default}"

declare -A url_of procs_of
start_row() { # start_row ROW: its server up and answering 200
	local row=$1
	case $row in
	upstream)
		srv_url="http://127.0.0.1:$up_port" srv_pid=$up_pid
		;;
	nginx | nginx-modsec)
		start_nginx "$row" "$([[ $row == nginx-modsec ]] && echo 1 || echo 0)"
		;;
	gw | gw-tls | gw-tls-rl-fp | gw-crs)
		((have_gateway)) || {
			log "skipping $row: no gateway in this tree"
			return
		}
		local guards=none
		[[ $row == gw-tls-rl-fp ]] && guards=rl
		[[ $row == gw-crs ]] && guards=crs
		start_gateway "$row" "$guards"
		[[ $row == gw-tls* ]] && srv_url=$srv_tls_url
		;;
	esac
	check_ok "$srv_url"
	url_of[$row]=$srv_url
	res[$row,pid]=$srv_pid
	procs_of[$row]=$(proc_tree "$srv_pid" | tr '\n' ' ')
}

rows=()
for row in upstream nginx gw gw-tls gw-tls-rl-fp nginx-modsec gw-crs; do
	want_row "$row" || continue
	start_row "$row"
	[[ -n ${url_of[$row]:-} ]] && rows+=("$row")
done
secs=$((BENCH_DURATION / BENCH_ROUNDS))
((secs >= 1)) || secs=1
log "peak cells: $BENCH_ROUNDS rounds of ${secs}s per row and method, rows alternating"
for m in GET POST; do
	if ((BENCH_WARMUP > 0)); then
		for row in "${rows[@]}"; do
			wrk -t "$BENCH_THREADS" -c "$BENCH_CONNECTIONS" -d "${BENCH_WARMUP}s" -s "$tmp/peak-$m.lua" "${url_of[$row]}" >/dev/null 2>&1 || true
		done
	fi
	for ((round = 1; round <= BENCH_ROUNDS; round++)); do
		for row in "${rows[@]}"; do
			burst "$row" "$m" "$secs"
		done
	done
	for row in "${rows[@]}"; do
		finish_cell "$row" "$m"
	done
done
for row in "${rows[@]}"; do
	# shellcheck disable=SC2086 # a space-separated pid list
	res[$row,rss]=$(peak_rss_kb ${procs_of[$row]})
	# gw-tls rows keep running for the paced cells; the upstream to the end
	if [[ $row != upstream && ! ($row == gw-tls* && $BENCH_PACED == 1) ]]; then
		stop_server "${res[$row,pid]}"
	fi
done

# Half of the guarded gateway's peak (its slower method sets one rate for
# both, so every paced cell offers the same load).
half=0
if [[ $BENCH_PACED == 1 && -n ${res[gw-tls-rl-fp,GET,rps]:-} ]]; then
	for m in GET POST; do
		r=$((res[gw-tls-rl-fp,$m,rps] / 2))
		res[half,$m]=$r
		# Rounds alternate the rows so that load from elsewhere on the
		# machine falls on each of them alike; the median round counts.
		for ((round = 1; round <= BENCH_PACED_ROUNDS; round++)); do
			for row in upstream gw-tls gw-tls-rl-fp; do
				[[ -n ${url_of[$row]:-} ]] || continue
				log "paced $row $m at $r req/s, round $round"
				paced "$row#$round" "$m" "${url_of[$row]}" "$r"
			done
		done
		for row in upstream gw-tls gw-tls-rl-fp; do
			[[ -n ${url_of[$row]:-} ]] || continue
			for k in p50_us p99_us rps; do
				vals=()
				for ((round = 1; round <= BENCH_PACED_ROUNDS; round++)); do
					vals+=("${res[paced-$row#$round,$m,$k]}")
				done
				res[paced-$row,$m,$k]=$(median "${vals[@]}")
			done
		done
		# The p99 the guards add: per round, guarded minus unguarded, the
		# two cells run back to back; the median of those differences.
		# Pairing cancels what a round's load from elsewhere does to both
		# (one disturbed round moved the median of each row's own p99s by
		# more than a millisecond on 2026-11-24).
		if [[ -n ${url_of[gw-tls]:-} && -n ${url_of[gw-tls-rl-fp]:-} ]]; then
			vals=()
			for ((round = 1; round <= BENCH_PACED_ROUNDS; round++)); do
				vals+=($((res[paced-gw-tls-rl-fp#$round,$m,p99_us] - res[paced-gw-tls#$round,$m,p99_us])))
			done
			res[paced-added,$m]=$(median "${vals[@]}")
			res[paced-added,$m,rounds]=${vals[*]}
		fi
	done
	half=1
fi
for row in gw-tls gw-tls-rl-fp; do
	[[ -n ${res[$row,pid]:-} ]] && stop_server "${res[$row,pid]}"
done

# --- report --------------------------------------------------------------------

echo
echo "### Gateway benchmark, $(date -u +%Y-%m-%d) on $(uname -m), $ncpu CPUs"
echo
echo "wrk -t$BENCH_THREADS -c$BENCH_CONNECTIONS, $BENCH_ROUNDS alternating rounds of ${secs}s per cell; GOMAXPROCS = nginx workers = $BENCH_PROCS; nginx adds the forwarding fields of BENCH_NGINX_FIELDS=$BENCH_NGINX_FIELDS; CPU µs/req of the proxy processes only (the upstream row: of the upstream)."
echo
echo "| row | GET req/s | GET CPU µs/req | GET p50 ms | GET p99 ms | POST req/s | POST CPU µs/req | POST p50 ms | POST p99 ms | peak RSS MB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for row in upstream nginx gw gw-tls gw-tls-rl-fp nginx-modsec gw-crs; do
	[[ -n ${res[$row,GET,rps]:-} ]] || continue
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$row" \
		"${res[$row,GET,rps]}" "$(tenths "${res[$row,GET,cpu10]}")" "$(ms "${res[$row,GET,p50_us]}")" "$(ms "${res[$row,GET,p99_us]}")" \
		"${res[$row,POST,rps]}" "$(tenths "${res[$row,POST,cpu10]}")" "$(ms "${res[$row,POST,p50_us]}")" "$(ms "${res[$row,POST,p99_us]}")" \
		"$(awk -v k="${res[$row,rss]}" 'BEGIN { printf "%.1f", k / 1024 }')"
done

# verdict NAME OK(1/0) DETAIL
verdict() { printf '| %s | %s | %s |\n' "$1" "$([[ $2 == 1 ]] && echo met || echo "**not met**")" "$3"; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

echo
echo "| target | result | measured |"
echo "|---|---|---|"
if [[ -n ${res[gw,GET,rps]:-} && -n ${res[nginx,GET,rps]:-} ]]; then
	for m in GET POST; do
		r=$(ratio "${res[gw,$m,rps]}" "${res[nginx,$m,rps]}")
		c=$(ratio "${res[gw,$m,cpu10]}" "${res[nginx,$m,cpu10]}")
		ok=0
		ge "$r" 1 && ok=1
		verdict "gateway, no guards, at least nginx's plain proxy ($m)" "$ok" "req/s ${r}x nginx; CPU/req ${c}x nginx"
	done
fi
if ((half)); then
	for m in GET POST; do
		[[ -n ${res[paced-added,$m]:-} ]] || continue
		added=${res[paced-added,$m]}
		ok=0
		((added < 1000)) && ok=1
		detail="p99 at ${res[half,$m]} req/s offered, guarded minus unguarded over TLS, median of $BENCH_PACED_ROUNDS paired rounds: $(awk -v u="$added" 'BEGIN { printf "%+.2f", u / 1000 }') ms (rounds, µs: ${res[paced-added,$m,rounds]}); medians of the rows' own rounds: p99 $(ms "${res[paced-gw-tls-rl-fp,$m,p99_us]}") vs $(ms "${res[paced-gw-tls,$m,p99_us]}") ms, p50 $(ms "${res[paced-gw-tls-rl-fp,$m,p50_us]}") vs $(ms "${res[paced-gw-tls,$m,p50_us]}") ms"
		[[ -n ${res[paced-upstream,$m,p99_us]:-} ]] && detail+="; upstream direct $(ms "${res[paced-upstream,$m,p99_us]}") ms"
		detail+="; achieved ${res[paced-gw-tls-rl-fp,$m,rps]} req/s"
		verdict "rate limiting + fingerprinting add < 1 ms p99 at half peak ($m)" "$ok" "$detail"
	done
fi
if [[ -n ${res[gw-crs,GET,rps]:-} && -n ${res[nginx-modsec,GET,rps]:-} ]]; then
	for m in GET POST; do
		c=$(ratio "${res[gw-crs,$m,cpu10]}" "${res[nginx-modsec,$m,cpu10]}")
		r=$(ratio "${res[gw-crs,$m,rps]}" "${res[nginx-modsec,$m,rps]}")
		ok=0
		le "$c" 1 && ok=1
		verdict "gateway + CRS at most nginx + ModSecurity's CPU/req ($m)" "$ok" "CPU/req ${c}x nginx+ModSecurity; req/s ${r}x"
	done
	rss_mb=$(awk -v k="${res[gw-crs,rss]}" 'BEGIN { printf "%.1f", k / 1024 }')
	ok=0
	le "$rss_mb" 100 && ok=1
	verdict "gateway + CRS under 100 MB resident" "$ok" "peak RSS $rss_mb MB (nginx + ModSecurity: $(awk -v k="${res[nginx-modsec,rss]}" 'BEGIN { printf "%.1f", k / 1024 }') MB, all processes)"
fi
