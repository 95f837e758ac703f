#!/usr/bin/env bash
# vapd --state through the real FUSE mount: every acknowledged change
# survives `kill -9` right after it was acknowledged and a restart on the
# same file; SIGTERM exits 0; a truncated or corrupted file is refused
# with a message naming the problem and is left byte for byte as it was.
#
# usage: vapd_state_test.sh VAPD VAP
set -u
vapd=$1 vap=$2
. "$(dirname "$0")/lib.sh"
state=$tmp/state.json
start() { start_vapd --state "$state" --host "${1:-builtin:default}" --time-scale 0.001; }
crash() { kill_vapd; }

M=$sys/devices/vfio_ap/matrix
T=$M/mdev_supported_types/vfio_ap-passthrough
U1=62177883-f1bb-47f0-914d-32a22e3a8804
U2=4f8a9a47-31e4-4c1e-b5a7-9d8f4ba6d8e2

# 1. Each step is one acknowledged change, then kill -9 at once, restart,
#    and the change (and all before it) must be there.
steps=(
  "echo -5 > $sys/bus/ap/apmask"
  "echo -0x47,-0xab > $sys/bus/ap/aqmask"
  "echo $U1 > $T/create"
  "echo 5 > $M/$U1/assign_adapter"
  "echo 0x47 > $M/$U1/assign_domain"
  "echo 0xab > $M/$U1/assign_domain"
  "echo 0x10 > $M/$U1/assign_control_domain"
  "echo 05.00ab > $sys/bus/ap/drivers/vfio_ap/unbind"
  "echo 0 > $sys/devices/ap/card03/online"
  "'$vap' --socket $sock host configure add-domain 0x20"
  "'$vap' --socket $sock host configure remove-adapter 6"
  "echo $U2 > $T/create"
  "echo 1 > $M/$U2/remove"
)
checks=(
  "cat $sys/bus/ap/apmask"
  "cat $sys/bus/ap/aqmask"
  "ls $M | grep -c -- -"
  "cat $M/$U1/matrix"
  "cat $M/$U1/guest_matrix"
  "cat $M/$U1/control_domains"
  "ls $sys/bus/ap/drivers/vfio_ap | tr '\n' ' '"
  "cat $sys/devices/ap/card03/online $sys/devices/ap/card03/03.0001/online"
  "cat $sys/bus/ap/ap_usage_domain_mask $sys/bus/ap/ap_adapter_mask"
)
snapshot() { for c in "${checks[@]}"; do eval "$c" 2>&1; done; }

start
i=0
for s in "${steps[@]}"; do
  i=$((i + 1))
  eval "$s" >/dev/null || fail "step $i ($s) failed"
  crash
  start builtin:legacy   # ignored: the state file has the host
  before=$(snapshot)
  crash
  start
  after=$(snapshot)
  [ "$before" = "$after" ] || fail "step $i: restart changed the state"
done
[ "$(cat $sys/bus/ap/apmask)" = "0xfbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" ] ||
  fail "apmask not kept: $(cat $sys/bus/ap/apmask)"
[ "$(cat $M/$U1/matrix)" = "$(printf '05.0047\n05.00ab')" ] || fail "matrix not kept: $(cat $M/$U1/matrix)"
# 05.00ab is unbound, so adapter 5 is filtered out of the guest's view.
[ "$(cat $M/$U1/guest_matrix)" = "$(printf '.0047\n.00ab')" ] || fail "guest_matrix: $(cat $M/$U1/guest_matrix)"
[ -e "$M/$U2" ] && fail "removed mdev came back"
[ -e "$sys/devices/ap/card06" ] && fail "removed adapter came back"
[ "$(cat $sys/devices/ap/card03/online)" = 0 ] || fail "card03 online again"
"$vap" --socket "$sock" sysfs read bus/ap/ap_usage_domain_mask | grep -q '^0xffff000080' ||
  fail "domain 0x20 not kept"
echo "state: ${#steps[@]} acknowledged changes each survived kill -9 and two restarts"

# 2. A failed store is refused with the kernel's errno.
(echo 0x100 > "$M/$U1/assign_adapter") 2>"$tmp/err" && fail "assign 0x100 succeeded"
grep -q "No such device" "$tmp/err" || fail "assign 0x100: $(cat $tmp/err)"

# 3. SIGTERM: exit 0, unmounted, the file decodes on the next start.
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
[ "$rc" -eq 0 ] || fail "vapd exited $rc after SIGTERM"
mountpoint -q "$sys" && fail "still mounted after SIGTERM"

# 4. Truncated and corrupted files are refused and left alone.
cp "$state" "$tmp/good"
head -c 500 "$tmp/good" > "$state"
cp "$state" "$tmp/bad"
"$vapd" --mount "$sys" --socket "$sock" --state "$state" 2>"$tmp/err" && fail "truncated file accepted"
grep -q "^vapd: --state $state: not valid JSON at byte 501 of 500 (truncated or corrupt)$" "$tmp/err" ||
  fail "truncated: $(cat $tmp/err)"
cmp -s "$state" "$tmp/bad" || fail "truncated file was changed"
sed 's/"apm": "0x04/"apm": "0x0c/' "$tmp/good" > "$state"
cmp -s "$state" "$tmp/good" && fail "test did not corrupt the file"
cp "$state" "$tmp/bad"
"$vapd" --mount "$sys" --socket "$sock" --state "$state" 2>"$tmp/err" && fail "corrupt file accepted"
grep -q "checksum mismatch" "$tmp/err" || fail "corrupt: $(cat $tmp/err)"
cmp -s "$state" "$tmp/bad" || fail "corrupt file was changed"
mountpoint -q "$sys" && fail "mounted although the state was refused"
echo "state: truncated and corrupted files refused and left untouched"
exit 0
