#!/bin/bash
# leasereads.sh: KV read throughput of a ward dev holding 10,000 live
# database leases (B) against one holding none (A), in alternating rounds,
# then again after B's leases are revoked (a control). Run it from the
# repository root with a PostgreSQL superuser's DSN:
#
#   WARD_BENCH_PG_DSN='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' bash bench/dbcreds/leasereads.sh
#
# It makes a database "leasereads" and the roles lr_admin and lr_readers,
# and leaves the users it could not drop (none, normally).
set -eu
: "${WARD_BENCH_PG_DSN:?set WARD_BENCH_PG_DSN to a superuser connection string}"
ROUNDS=${ROUNDS:-7}
D=$(mktemp -d)
trap 'pkill -f "$D/ward dev" 2>/dev/null; rm -rf "$D"' EXIT
go build -o "$D/ward" ./cmd/ward
go build -o "$D/kvload" ./bench/kvload
W=$D/ward K=$D/kvload
psql "$WARD_BENCH_PG_DSN" -q -c "DROP DATABASE IF EXISTS leasereads" -c "CREATE DATABASE leasereads" >/dev/null
psql "$WARD_BENCH_PG_DSN" -q -c "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='lr_admin') THEN CREATE ROLE lr_admin WITH LOGIN CREATEROLE PASSWORD 'lrpw'; CREATE ROLE lr_readers; GRANT lr_readers TO lr_admin WITH ADMIN OPTION; END IF; END\$\$;" >/dev/null
host=$(echo "$WARD_BENCH_PG_DSN" | sed -n 's#.*@\([^/]*\)/.*#\1#p')
start() { # NAME: a ward dev outside the repository (not seeded); prints its address
	mkdir -p "$D/$1/home"
	(cd "$D/$1" && WARD_CONFIG_DIR="$D/$1/home" exec "$W" dev --listen 127.0.0.1:0 --data "$D/$1/data") >/dev/null 2>"$D/$1/log" &
	for _ in $(seq 100); do
		a=$(sed -n 's/.*export WARD_ADDR=\(http[^ ]*\).*/\1/p' "$D/$1/log" | head -1)
		[ -n "$a" ] && { echo "$a"; return; }
		sleep 0.1
	done
	echo "ward dev $1 did not start" >&2; exit 1
}
A=$(start a); B=$(start b); TA=$(cat "$D/a/home/token"); TB=$(cat "$D/b/home/token")
printf '%s\n' lrpw | WARD_ADDR=$B WARD_TOKEN=$TB "$W" db config write --env staging main \
	--connection-url "postgres://{{username}}:{{password}}@$host/leasereads?sslmode=disable" --username lr_admin --allowed-roles app >/dev/null
WARD_ADDR=$B WARD_TOKEN=$TB "$W" db role write --env staging app --db-name main --default-ttl 2h --max-ttl 2h \
	--creation-statement "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE lr_readers" >/dev/null
t0=$(date +%s.%N)
for _ in $(seq 10); do # 1,000 leases per token (the default quota)
	tok=$(curl -sf -H "X-Vault-Token: $TB" -X POST -d '{"policies":["root"]}' "$B/v1/auth/token/create" | sed -n 's/.*"client_token":"\([^"]*\)".*/\1/p')
	seq 1000 | xargs -P 16 -I{} curl -s -o /dev/null -H "X-Vault-Token: $tok" "$B/v1/staging/database/creds/app"
done
echo "10,000 leases issued in $(echo "$(date +%s.%N) - $t0" | bc) s"
rate() { WARD_ADDR=$1 WARD_TOKEN=$2 "$K" -c 16 -d 5s -op read | awk '/^req\/s/ {print $2}'; }
measure() { # LABEL
	for i in $(seq "$ROUNDS"); do
		if [ $((i % 2)) = 1 ]; then a=$(rate "$A" "$TA"); b=$(rate "$B" "$TB"); else b=$(rate "$B" "$TB"); a=$(rate "$A" "$TA"); fi
		echo "$1 round $i: B $b req/s, A $a req/s, B/A $(echo "scale=3; $b/$a" | bc)"
	done
}
measure "with 10,000 leases"
t0=$(date +%s.%N)
curl -s -o /dev/null -X PUT -H "X-Vault-Token: $TB" "$B/v1/sys/leases/revoke-prefix/staging/database/creds/app"
echo "revoke-prefix of 10,000 returned after $(echo "$(date +%s.%N) - $t0" | bc) s"
measure "control, leases revoked"
