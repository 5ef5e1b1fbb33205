#!/bin/sh
# detect.sh measures KV read throughput with ward's live detectors on
# against off, side by side in one run: two `ward dev` servers (one with
# --no-detect), and ROUNDS alternating kvload runs of SECONDS against each.
# It prints each round's req/s and ratio (on / off), and the median of the
# ratios: on a loaded machine the load shifts between rounds, and the pair
# within a round shares it, so the median ratio is the figure to quote.
# Beside it, each server's CPU time per request answered (user and system,
# from /proc): what the detectors cost the server, which the machine's
# load moves less than throughput.
#
#   sh bench/kvload/detect.sh            # 5 rounds of 10s, 16 clients
#   ROUNDS=7 SECONDS_EACH=15 sh bench/kvload/detect.sh
set -eu
ROUNDS=${ROUNDS:-5}
SECONDS_EACH=${SECONDS_EACH:-10}
CLIENTS=${CLIENTS:-16}
work=$(mktemp -d)
trap 'kill $on_pid $off_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
go build -o "$work/ward" ./cmd/ward
go build -o "$work/kvload" ./bench/kvload

start() { # NAME EXTRA-ARGS...: starts ward dev, sets addr_NAME and token_NAME
	name=$1; shift
	mkdir -p "$work/$name/home"
	# In its own directory: a ward dev started in the repository seeds its
	# store from examples/ward, whose staging requires metadata.
	(cd "$work/$name" && WARD_CONFIG_DIR="$work/$name/home" exec "$work/ward" dev --listen 127.0.0.1:0 --data "$work/$name/data" "$@") 2>"$work/$name/log" &
	pid=$!
	for _ in $(seq 100); do
		addr=$(sed -n 's/.*export WARD_ADDR=\(http[^ ]*\).*/\1/p' "$work/$name/log" | head -1)
		[ -n "$addr" ] && break
		sleep 0.1
	done
	eval "addr_$name=$addr token_$name=$(cat "$work/$name/home/token") ${name}_pid=$pid"
}
start on
start off --no-detect

ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # PID: its CPU time in clock ticks
run() { # NAME: one kvload run, prints req/s and the server's CPU µs per request
	pid=$(eval echo "\$${1}_pid")
	c0=$(cpu "$pid")
	out=$(eval "WARD_ADDR=\$addr_$1 WARD_TOKEN=\$token_$1" "$work/kvload" -c "$CLIENTS" -d "${SECONDS_EACH}s" -op read)
	c1=$(cpu "$pid")
	echo "$out" | awk -v c="$((c1 - c0))" -v t="$ticks" '/^requests/ {n=$2} /^req\/s/ {r=$2} END {printf "%s %.1f", r, c / t * 1e6 / n}'
}
on="" off="" ratios="" cpuratios=""
for i in $(seq "$ROUNDS"); do
	if [ $((i % 2)) -eq 1 ]; then a=$(run on); b=$(run off); else b=$(run off); a=$(run on); fi
	set -- $a $b # on req/s, on µs/req, off req/s, off µs/req
	r=$(awk -v a="$1" -v b="$3" 'BEGIN {printf "%.3f", a/b}')
	cr=$(awk -v a="$2" -v b="$4" 'BEGIN {printf "%.3f", a/b}')
	echo "round $i: detectors on $1 req/s ($2 µs CPU/req), off $3 req/s ($4 µs CPU/req), ratio $r (CPU/req $cr)"
	on="$on $1" off="$off $3" ratios="$ratios $r" cpuratios="$cpuratios $cr"
done
median() { echo "$@" | tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo "median on $(median $on), off $(median $off) req/s; median ratio on/off $(median $ratios)"
echo "server CPU per request: median ratio on/off $(median $cpuratios)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
