#!/usr/bin/env bash
# Live migration between two real vapd (issue 18): `vap guest migrate`
# moves a running guest with an mdev of 2 adapters x 3 domains and a
# control domain from A into B (same UUID, empty there); B's mdev then
# holds A's configuration, the guest runs on B with the same APCB and its
# own /sys shows its queues, and it is gone from A. Back into A after A
# lost adapter 6: refused with ENODEV and the series' log line per
# missing queue, the guest still running on B and nothing left on A.
# With adapter 6 back as another type: refused (EINVAL, the mode lines);
# as its own type, the guest returns. Then a client plays QEMU on the
# lower-level methods: the data size, a bad magic, a stream read back.
#
# usage: migration_test.sh VAPD VAP VAP_ATTACK
set -u
vapd=$1 vap=$2 attack=$3
. "$(dirname "$0")/lib.sh"
sys2=$tmp/sys2 sock2=$tmp/vapd2.sock pid2=
mkdir "$sys2"
trap 'if [ -n "$pid2" ]; then kill -KILL "$pid2" 2>/dev/null; wait "$pid2" 2>/dev/null; fi
      for m in "$sys2".guests/*; do umount -l "$m" 2>/dev/null; done
      umount -l "$sys2" 2>/dev/null; cleanup' EXIT

start_vapd --host builtin:default --time-scale 0.01
"$vapd" --mount "$sys2" --socket "$sock2" --host builtin:default \
  --time-scale 0.01 2>>"$tmp/vapd2.log" &
pid2=$!
for _ in $(seq 250); do
  head -c 1 "$sys2/bus/ap/apmask" >/dev/null 2>&1 && break
  sleep 0.02
done
head -c 1 "$sys2/bus/ap/apmask" >/dev/null 2>&1 || fail "vapd B did not mount"

a() { "$vap" --socket "$sock" "$@"; }
b() { "$vap" --socket "$sock2" "$@"; }
U=62177883-f1bb-47f0-914d-32a22e3a8804
T=mdev_supported_types/vfio_ap-passthrough/create
for s in "$sys" "$sys2"; do
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

# 1. A -> B: 16 bytes of setup, one record of 144 and the end marker.
out=$(a guest migrate g1 --to "$sock2") || fail "migrate A->B: $out"
echo "$out"
echo "$out" | grep -q "guest g1 migrated to $sock2 (mdev $U): 184 bytes" ||
  fail "migrate said: $out"
a guest show g1 >/dev/null 2>&1 && fail "g1 still on A"
[ "$(cat "$MB/matrix")" = "$matrix" ] || fail "B's matrix: $(cat "$MB/matrix")"
[ "$(cat "$MB/control_domains")" = "$cdoms" ] || fail "B's control domains"
[ "$(b --json guest show g1 | grep -E '"(apm|aqm|adm)"')" = "$apcb" ] ||
  fail "B's guest APCB differs"
ls "$sys2.guests/g1/bus/ap/devices" | tr '\n' ' ' | grep -q "card05 card06" ||
  fail "the guest's own /sys on B: $(ls "$sys2.guests/g1/bus/ap/devices")"

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

# 4. Playing QEMU on A's open device: DATA_SIZE, a stream, a bad blob.
rpc() { echo "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" | "$attack" rpc "$sock"; }
rpc vfio.migration.data_size "{\"mdev\":\"$U\"}" | grep -q '"size":144' ||
  fail "data_size: $(rpc vfio.migration.data_size "{\"mdev\":\"$U\"}")"
W=4f8a9a47-31e4-4c1e-b5a7-9d8f4ba6d8e2
echo $W > "$sys2/devices/vfio_ap/matrix/$T" || fail "create W on B"
b guest start g2 --mdev $W --vcpus 1 >/dev/null || fail "guest start g2"
out=$(echo "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vfio.migration.set_state\",\"params\":{\"mdev\":\"$W\",\"state\":\"resuming\"}}" |
  "$attack" rpc "$sock2")
fd=$(echo "$out" | grep -o '"fd":[0-9]*' | cut -d: -f2)
[ -n "$fd" ] && [ "$fd" -ge 0 ] || fail "set_state resuming: $out"
out=$(echo "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vfio.migration.write\",\"params\":{\"fd\":$fd,\"data\":\"76666171000000010000000000000000\"}}" |
  "$attack" rpc "$sock2")
echo "$out" | grep -q '"errno":"EINVAL"' || fail "bad magic: $out"
[ "$(cat "$sys2/devices/vfio_ap/matrix/$W/matrix")" = "" ] || fail "W changed"
out=$(echo "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vfio.migration.set_state\",\"params\":{\"mdev\":\"$W\",\"state\":\"running\"}}" |
  "$attack" rpc "$sock2")
echo "$out" | grep -q '"errno":"EINVAL"' || fail "RESUMING -> RUNNING without data: $out"
echo "migration: A->B, refusal, B->A and the device methods passed"
