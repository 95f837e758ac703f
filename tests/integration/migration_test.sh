#!/usr/bin/env bash
# Live migration between real vapd (issue 18): `vap guest migrate`
# moves a running guest with an mdev of 2 adapters x 3 domains and a
# control domain from A into B (same UUID, empty there); B's mdev then
# holds A's configuration, the guest runs on B with the same APCB and its
# own /sys shows its queues, and it is gone from A. Back into A after A
# lost adapter 6: refused with ENODEV and the series' log line per
# missing queue, the guest still running on B and nothing left on A.
# With adapter 6 back as another type: refused (EINVAL, the mode lines);
# as its own type, the guest returns. Then each other incompatible
# destination of the series' scenarios, with B as the target: a queue
# bound to cex4queue, a control domain B lacks (ENODEV), an older card
# type, a native card function lost on the way from a third vapd C
# (EINVAL), a queue another mdev holds (EADDRINUSE), a card in a bind
# state, a card without APXA (EINVAL), a TAPQ answering 0x01 (ENODEV);
# each with its log lines, the guest still at its source and B's mdev
# unchanged, and the guest can move to B and back afterwards. Then a
# client plays QEMU on the lower-level methods: the data size, a bad
# magic, a stream read back; dead clients; a migration into an mdev of
# another UUID (--mdev).
#
# usage: migration_test.sh VAPD VAP VAP_ATTACK
set -u
vapd=$1 vap=$2 attack=$3
. "$(dirname "$0")/lib.sh"
# Two more vapd beside lib.sh's A: B (builtin:default) and C, whose
# adapter 5 has the full native card function (B's is stateless only).
peers=
start_peer() {  # start_peer DIR SOCKET PROFILE
  mkdir "$1"
  "$vapd" --mount "$1" --socket "$2" --host "$3" --time-scale 0.01 \
    2>>"$tmp/peers.log" &
  peers="$peers $!"
  for _ in $(seq 250); do
    head -c 1 "$1/bus/ap/apmask" >/dev/null 2>&1 && return 0
    sleep 0.02
  done
  fail "vapd on $1 did not mount"
}
trap 'for p in $peers; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
      for m in "$tmp"/sys[23].guests/*; do umount -l "$m" 2>/dev/null; done
      umount -l "$tmp/sys2" 2>/dev/null; umount -l "$tmp/sys3" 2>/dev/null
      cleanup' EXIT
cat > "$tmp/native.json" <<'JSON'
{"name": "native",
 "adapters": [{"id": 3, "type": "CEX8C"}, {"id": 4, "type": "CEX8P"},
              {"id": 5, "type": "CEX8C", "functions": "0x72800000"},
              {"id": 6, "type": "CEX8A"}],
 "usage_domains": ["0x00-0x0f", "0x47", "0xab"],
 "control_domains": ["0x00-0x10", "0x47", "0xab"]}
JSON

start_vapd --host builtin:default --time-scale 0.01
sys2=$tmp/sys2 sock2=$tmp/vapd2.sock sys3=$tmp/sys3 sock3=$tmp/vapd3.sock
start_peer "$sys2" "$sock2" builtin:default
start_peer "$sys3" "$sock3" "$tmp/native.json"

a() { "$vap" --socket "$sock" "$@"; }
b() { "$vap" --socket "$sock2" "$@"; }
c() { "$vap" --socket "$sock3" "$@"; }
U=62177883-f1bb-47f0-914d-32a22e3a8804
T=mdev_supported_types/vfio_ap-passthrough/create
for s in "$sys" "$sys2" "$sys3"; do
  echo -5,-6 > "$s/bus/ap/apmask" || fail "apmask"
  echo -0x04,-0x47,-0xab > "$s/bus/ap/aqmask" || fail "aqmask"
  echo $U > "$s/devices/vfio_ap/matrix/$T" || fail "create"
  [ "$(cat "$s/devices/vfio_ap/matrix/features")" = \
    "guest_matrix hotplug ap_config migratable" ] || fail "features"
done
MA=$sys/devices/vfio_ap/matrix/$U MB=$sys2/devices/vfio_ap/matrix/$U
for x in 5 6; do echo $x > "$MA/assign_adapter" || fail "assign_adapter"; done
for x in 0x04 0x47 0xab; do echo $x > "$MA/assign_domain" || fail "assign_domain"; done
echo 0xab > "$MA/assign_control_domain" || fail "assign_control_domain"
sleep 0.2
a guest start g1 --mdev $U --vcpus 2 >/dev/null || fail "guest start"
matrix=$(cat "$MA/matrix") cdoms=$(cat "$MA/control_domains")
apcb=$(a --json guest show g1 | grep -E '"(apm|aqm|adm)"')
for _ in $(seq 100); do
  [ -e "$sys.guests/g1/bus/ap/devices/06.00ab" ] && break
  sleep 0.02
done
seen=$(ls "$sys.guests/g1/bus/ap/devices") dom=$(cat "$sys.guests/g1/bus/ap/ap_domain")
[ "$(echo $seen)" = "05.0004 05.0047 05.00ab 06.0004 06.0047 06.00ab card05 card06" ] ||
  fail "the guest's own /sys on A: $seen"

# 1. A -> B: 16 bytes of setup, one record of 144, the end marker and the
# config section (16).
out=$(a guest migrate g1 --to "$sock2") || fail "migrate A->B: $out"
echo "$out"
echo "$out" | grep -q "guest g1 migrated to $sock2 (mdev $U): 200 bytes" ||
  fail "migrate said: $out"
a guest show g1 >/dev/null 2>&1 && fail "g1 still on A"
[ "$(cat "$MB/matrix")" = "$matrix" ] || fail "B's matrix: $(cat "$MB/matrix")"
[ "$(cat "$MB/control_domains")" = "$cdoms" ] || fail "B's control domains"
[ "$(b --json guest show g1 | grep -E '"(apm|aqm|adm)"')" = "$apcb" ] ||
  fail "B's guest APCB differs"
# The guest's own AP bus on B finds what it found on A (its first scan
# may still be running when the migration returns).
for _ in $(seq 100); do
  [ "$(ls "$sys2.guests/g1/bus/ap/devices" 2>/dev/null)" = "$seen" ] && break
  sleep 0.02
done
[ "$(ls "$sys2.guests/g1/bus/ap/devices")" = "$seen" ] ||
  fail "the guest's own /sys on B: $(ls "$sys2.guests/g1/bus/ap/devices")"
[ "$(cat "$sys2.guests/g1/bus/ap/ap_domain")" = "$dom" ] ||
  fail "the guest's ap_domain on B"

# 2. B -> A with adapter 6 gone from A: refused, the guest stays on B.
a host configure remove-adapter 6 >/dev/null || fail "remove-adapter"
out=$(b guest migrate g1 --to "$sock" 2>&1) && fail "migrate B->A succeeded"
echo "$out" | grep -q "No such device" || fail "refusal said: $out"
n=$(a log | grep -c "vfio_ap_mdev $U: Queue 06\.00[0-9a-f]* not available to vfio_ap driver on target host")
[ "$n" = 3 ] || fail "A logged $n queue lines"
b guest show g1 >/dev/null || fail "g1 gone from B after a refusal"
a guest list | grep -q g1 && fail "A kept an incoming g1"
b guest pqap g1 tapq 05.0047 >/dev/null || fail "g1 on B cannot TAPQ"

# 3. Adapter 6 back as a CEX8C, where the guest had a CEX8A: refused as
# not compatible, with the mode lines. As a CEX8A: the guest returns.
a host configure add-adapter 6 --type CEX8C >/dev/null || fail "add-adapter"
sleep 0.2
out=$(b guest migrate g1 --to "$sock" 2>&1) && fail "migrate onto a CEX8C succeeded"
echo "$out" | grep -q "Invalid argument" || fail "incompatible said: $out"
a log | grep -q "vfio_ap_mdev $U: Accelerator-mode facility installed in source queue 06.0004" ||
  fail "no mode line: $(a log | tail -3)"
a host configure remove-adapter 6 >/dev/null || fail "remove-adapter"
a host configure add-adapter 6 --type CEX8A >/dev/null || fail "add-adapter"
sleep 0.2
b guest migrate g1 --to "$sock" >/dev/null || fail "migrate B->A"
[ "$(a --json guest show g1 | grep -E '"(apm|aqm|adm)"')" = "$apcb" ] ||
  fail "the APCB after the round trip"
b guest show g1 >/dev/null 2>&1 && fail "g1 still on B"

# 4. Each incompatible destination refuses with the series' errno and log
# lines and changes nothing: the guest runs on at the source and B's mdev
# keeps what it had. B's mdev U still holds the configuration g1 left.
mb=$(cat "$MB/matrix")
refused() {  # refused FROM ERRNO-TEXT WHAT: a migration to B fails so
  out=$($1 guest migrate "${4:-g1}" --to "$sock2" 2>&1) && fail "$3: migrated"
  echo "$out" | grep -q "$2" || fail "$3 said: $out"
  $1 guest show "${4:-g1}" >/dev/null || fail "$3: the guest left the source"
  b guest list | grep -q "${4:-g1}" && fail "$3: B kept an incoming guest"
  [ "$(cat "$MB/matrix")" = "$mb" ] || fail "$3: B's mdev changed"
}
logged() {  # logged COUNT PATTERN: B logged PATTERN COUNT times since the mark
  n=$(b log | tail -n +$((mark + 1)) | grep -c -- "$2")
  [ "$n" = "$1" ] || fail "B logged '$2' $n times: $(b log | tail -4)"
}
# a. Queue 06.0047 bound to the default driver on B: both masks give it
# back to the host (scenario 5).
echo 6 > "$MB/unassign_adapter" || fail "unassign_adapter"
mb=$(cat "$MB/matrix")
echo +6 > "$sys2/bus/ap/apmask" || fail "apmask +6"
echo +0x47 > "$sys2/bus/ap/aqmask" || fail "aqmask +0x47"
sleep 0.2
[ "$(basename "$(readlink "$sys2/bus/ap/devices/06.0047/driver")")" = cex4queue ] ||
  fail "06.0047 is not cex4queue's"
mark=$(b log | wc -l)
refused a "No such device" "a queue bound to cex4queue"
logged 1 "vfio_ap_mdev $U: Queue 06\.00[0-9a-f]* not available to vfio_ap driver on target host"
logged 1 "Queue 06\.0047 not available"
echo -0x47 > "$sys2/bus/ap/aqmask" || fail "aqmask -0x47"
echo -6 > "$sys2/bus/ap/apmask" || fail "apmask -6"
sleep 0.2
# b. Control domain 0xab not in B's configuration (scenario 6).
b host configure remove-control-domain 0xab >/dev/null || fail "remove-control-domain"
mark=$(b log | wc -l)
refused a "No such device" "control domain missing"
logged 1 "vfio_ap_mdev: $U: Control domain 00ab not available on the destination host"
b host configure add-control-domain 0xab >/dev/null || fail "add-control-domain"
# c. Adapter 6 an older type on B: CEX7A (0d) for the guest's CEX8A (0e)
# (scenario 7).
b host configure remove-adapter 6 >/dev/null || fail "remove-adapter"
b host configure add-adapter 6 --type CEX7A >/dev/null || fail "add-adapter"
sleep 0.2
mark=$(b log | wc -l)
refused a "Invalid argument" "an older card"
logged 3 "vfio_ap_mdev $U: AP type of source (0e) not compatible with target (0d)"
logged 1 "Migration failed: Source and target queue (06.0047) not compatible"
b host configure remove-adapter 6 >/dev/null || fail "remove-adapter"
b host configure add-adapter 6 --type CEX8A >/dev/null || fail "add-adapter"
sleep 0.2
# d. Queue 06.0004 assigned to another mdev on B (scenario 12).
X=0c3d2a61-5b8e-4f0a-9f2d-6a4e1b7c9d05
echo $X > "$sys2/devices/vfio_ap/matrix/$T" || fail "create X on B"
echo 6 > "$sys2/devices/vfio_ap/matrix/$X/assign_adapter" || fail "assign 6 to X"
echo 0x04 > "$sys2/devices/vfio_ap/matrix/$X/assign_domain" || fail "assign 4 to X"
refused a "Address already in use" "a queue another mdev holds"
echo 1 > "$sys2/devices/vfio_ap/matrix/$X/remove" || fail "remove X"
# e. From C, whose adapter 5 has the full native function, to B, where it
# has only stateless functions (scenario 8).
MC=$sys3/devices/vfio_ap/matrix/$U
for x in 5 6; do echo $x > "$MC/assign_adapter" || fail "C assign_adapter"; done
for x in 0x04 0x47 0xab; do echo $x > "$MC/assign_domain" || fail "C assign_domain"; done
sleep 0.2
c guest start g3 --mdev $U --vcpus 1 >/dev/null || fail "guest start on C"
mark=$(b log | wc -l)
refused c "Invalid argument" "native to stateless" g3
logged 3 "vfio_ap_mdev $U: Full native card function available on source queue 05\.00"
logged 3 "vfio_ap_mdev $U: Only stateless functions available on target queue 05\.00"
# f. Adapter 5 on B in a bind state (BS 1, scenario 10), then without
# APXA (scenario 9): only that differs, so only that is named.
remake5() {  # remake5 [FUNCTIONS]: B's adapter 5 a CEX8C again
  b host configure remove-adapter 5 >/dev/null || fail "remove-adapter 5"
  b host configure add-adapter 5 --type CEX8C ${1:+--functions $1} >/dev/null ||
    fail "add-adapter 5 $1"
  sleep 0.2
}
remake5 0x72004000
mark=$(b log | wc -l)
refused a "Invalid argument" "a bind state other than 0"
logged 3 "vfio_ap_mdev $U: Bind/associate state for source (0) and target (1) queue 05\.00[0-9a-f]* must be 0"
logged 0 "facility"
remake5 0x70000000
mark=$(b log | wc -l)
refused a "Invalid argument" "a card without APXA"
logged 3 "vfio_ap_mdev $U: AP-extended-addressing (APXA) facility installed in source queue 05\.00"
logged 3 "vfio_ap_mdev $U: AP-extended-addressing (APXA) facility not installed in target queue 05\.00"
remake5
# g. B's TAPQ of 06.0047 answers 0x01 during the validation (scenario 11):
# ENODEV and the series' line. B's periodic scan is put off meanwhile
# (config_time's maximum, 120 s: 1.2 s here), as it would take the answer
# and the queue. Should it come first all the same (a slow machine), the
# refusal names the missing queue instead: then the queue is brought back
# and the step tried again.
hwinfo="vfio_ap_mdev $U: Failed to get hwinfo for queue 06\.0047: TAPQ rc=1"
for try in 1 2 3; do
  mark=$(b log | wc -l)
  echo 120 > "$sys2/bus/ap/config_time" || fail "config_time"
  b host fault answer --apqn 06.0047 --function tapq --rc 1 --count 1 >/dev/null ||
    fail "fault answer"
  refused a "No such device" "a queue whose TAPQ answers 0x01"
  [ "$(b log | tail -n +$((mark + 1)) | grep -c -- "$hwinfo")" = 1 ] && break
  b host fault clear --apqn 06.0047 >/dev/null || fail "fault clear"
  echo 1 > "$sys2/bus/ap/scans" || fail "scans"
  [ "$try" = 3 ] && fail "B's scan took the TAPQ answer three times"
done
logged 1 "$hwinfo"
echo 30 > "$sys2/bus/ap/config_time" || fail "config_time"
# Each refusal left B as it was: the guest can still move there, and back.
a guest migrate g1 --to "$sock2" >/dev/null || fail "migrate A->B after the refusals"
b guest migrate g1 --to "$sock" >/dev/null || fail "migrate B->A"

# 5. Playing QEMU on one connection (its session): DATA_SIZE, a stream,
# a bad blob.
req() { echo "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}"; }
rpc() { req "$@" | "$attack" rpc "$sock"; }
qemu_start() {  # qemu_start SOCKET: a client that keeps its connection
  rm -f "$tmp/q.in" "$tmp/q.out"
  mkfifo "$tmp/q.in" "$tmp/q.out"
  "$attack" session "$1" <"$tmp/q.in" >"$tmp/q.out" &
  qemu_pid=$!
  exec 7>"$tmp/q.in" 8<"$tmp/q.out"
}
say() {  # say METHOD PARAMS: one request on it, its answer
  req "$1" "$2" >&7
  IFS= read -r -t 10 line <&8 || fail "no answer to $1"
  echo "$line"
}
qemu_kill() {
  kill -KILL "$qemu_pid"
  wait "$qemu_pid" 2>/dev/null
  exec 7>&- 8<&-
}
eventually() {  # eventually WHAT COMMAND...: true within 5 s
  local what=$1; shift
  for _ in $(seq 250); do "$@" && return 0; sleep 0.02; done
  fail "$what"
}
rpc vfio.migration.data_size "{\"mdev\":\"$U\"}" | grep -q '"size":144' ||
  fail "data_size: $(rpc vfio.migration.data_size "{\"mdev\":\"$U\"}")"
W=4f8a9a47-31e4-4c1e-b5a7-9d8f4ba6d8e2 MW=$sys2/devices/vfio_ap/matrix/4f8a9a47-31e4-4c1e-b5a7-9d8f4ba6d8e2
echo $W > "$sys2/devices/vfio_ap/matrix/$T" || fail "create W on B"
b guest start g2 --mdev $W --vcpus 1 >/dev/null || fail "guest start g2"
qemu_start "$sock2"
out=$(say vfio.migration.set_state "{\"mdev\":\"$W\",\"state\":\"resuming\"}")
fd=$(echo "$out" | grep -o '"fd":[0-9]*' | cut -d: -f2)
[ -n "$fd" ] && [ "$fd" -ge 0 ] || fail "set_state resuming: $out"
out=$(say vfio.migration.write "{\"fd\":$fd,\"data\":\"76666171000000010000000000000000\"}")
echo "$out" | grep -q '"errno":"EINVAL"' || fail "bad magic: $out"
[ "$(cat "$MW/matrix")" = "" ] || fail "W changed"
out=$(say vfio.migration.set_state "{\"mdev\":\"$W\",\"state\":\"running\"}")
echo "$out" | grep -q '"errno":"EINVAL"' || fail "RESUMING -> RUNNING without data: $out"

# 6. What a client leaves open ends with its connection, as a dead QEMU's
# files close. The fd it held no longer pins W: W's removal completes.
qemu_kill
b guest stop g2 >/dev/null || fail "guest stop g2"
timeout -k 2 10 sh -c "echo 1 > $MW/remove" || fail "W's removal waited for a dead client's fd"
# A migration whose client died half way fails at the source: the guest
# runs there again, and the next migration goes through.
qemu_start "$sock"
say guest.migrate.begin '{"name":"g1"}' | grep -q '"data":"' || fail "migrate.begin"
say guest.migrate.read '{"name":"g1"}' | grep -q '"end":false' || fail "migrate.read"
state() { rpc vfio.migration.get_state "{\"mdev\":\"$U\"}" | grep -q "\"state\":\"$1\""; }
state stop_copy || fail "A's device is not in STOP_COPY"
qemu_kill
eventually "A's device did not run again" state running
a guest pqap g1 tapq 05.0047 >/dev/null || fail "g1 cannot TAPQ after the abandoned migration"
a guest migrate g1 --to "$sock2" >/dev/null || fail "migrate A->B after the abandoned one"
# An incoming guest whose client died before the end is torn down.
Y=7d1e0b3c-2a4f-4e6d-8c9b-5f0a1e2d3c4b
echo $Y > "$sys2/devices/vfio_ap/matrix/$T" || fail "create Y on B"
qemu_start "$sock2"
say guest.incoming.begin "{\"name\":\"g9\",\"mdev\":\"$Y\",\"vcpus\":1}" |
  grep -q '"result"' || fail "incoming.begin"
b guest list | grep -q g9 || fail "no incoming g9 on B"
qemu_kill
gone() { ! b guest list | grep -q g9; }
eventually "the incoming g9 stayed" gone
timeout -k 2 10 sh -c "echo 1 > $sys2/devices/vfio_ap/matrix/$Y/remove" || fail "Y's removal"
# 7. Into another mdev than the guest's own UUID (--mdev): B -> A's Z,
# once A's U, which still holds the queues, is gone.
Z=2b7e4c19-8d3a-4f61-9e05-c4a8d2f1b736
echo 1 > "$MA/remove" || fail "remove U on A"
echo $Z > "$sys/devices/vfio_ap/matrix/$T" || fail "create Z on A"
mb=$(cat "$MB/matrix")
out=$(b guest migrate g1 --to "$sock" --mdev $Z) || fail "migrate B->A --mdev: $out"
echo "$out" | grep -q "(mdev $Z)" || fail "migrate --mdev said: $out"
[ "$(cat "$sys/devices/vfio_ap/matrix/$Z/matrix")" = "$mb" ] || fail "Z's matrix"
a --json guest show g1 | grep -q "\"mdev\": *\"$Z\"" || fail "g1 on A is not on Z"
echo "migration: A->B, refusals, B->A, the device methods, dead clients and --mdev passed"
