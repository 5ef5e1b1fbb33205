#!/bin/sh
# detect.sh measures KV read throughput with ward's live detectors on
# against off, side by side in one run: two `ward dev` servers (one with
# --no-detect), and ROUNDS alternating kvload runs of SECONDS against each.
# It prints each round's req/s and ratio (on / off), and the median of the
# ratios: on a loaded machine the load shifts between rounds, and the pair
# within a round shares it, so the median ratio is the figure to quote.
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

run() { # NAME: one kvload run, prints req/s
	eval "WARD_ADDR=\$addr_$1 WARD_TOKEN=\$token_$1" "$work/kvload" -c "$CLIENTS" -d "${SECONDS_EACH}s" -op read | awk '/^req\/s/ {print $2}'
}
on="" off="" ratios=""
for i in $(seq "$ROUNDS"); do
	if [ $((i % 2)) -eq 1 ]; then a=$(run on); b=$(run off); else b=$(run off); a=$(run on); fi
	r=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", a/b}')
	echo "round $i: detectors on $a req/s, off $b req/s, ratio $r"
	on="$on $a" off="$off $b" ratios="$ratios $r"
done
median() { echo "$@" | tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo "median on $(median $on), off $(median $off) req/s; median ratio on/off $(median $ratios)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
