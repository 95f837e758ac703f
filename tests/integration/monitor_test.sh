#!/usr/bin/env bash
# `vap monitor --property` against a real vapd: the events of creating an
# mdev, assigning, removing it, a mask store, a card going offline and a
# write to a uevent file arrive in the kernel's order with contiguous
# SEQNUMs; a monitor that stops reading (SIGSTOP) never delays a store;
# a malformed uevent write is EINVAL through the mount.
#
# usage: monitor_test.sh VAPD VAP
set -u
vapd=$1 vap=$2
. "$(dirname "$0")/lib.sh"
start_vapd --host builtin:default --time-scale 0.001

M=$sys/devices/vfio_ap/matrix
U=62177883-f1bb-47f0-914d-32a22e3a8804
"$vap" --socket "$sock" monitor --property >"$tmp/all" 2>"$tmp/all.err" &
all=$!
"$vap" --socket "$sock" monitor --subsystem-match mdev >"$tmp/mdev" &
mdev=$!
"$vap" --socket "$sock" monitor >"$tmp/stopped" &
stopped=$!
sleep 0.5
kill -STOP "$stopped"

echo "$U" >"$M/mdev_supported_types/vfio_ap-passthrough/create" || fail "create"
echo 0x47 >"$M/$U/assign_domain" || fail "assign"
echo 1 >"$M/$U/remove" || fail "remove"
echo -3 >"$sys/bus/ap/apmask" || fail "apmask"
echo 0 >"$sys/devices/ap/card04/online" || fail "online"
echo "change 9f0b8c1e-2d3a-4b5c-8d7e-6f5a4b3c2d1e A=1" \
  >"$sys/devices/ap/card04/uevent" || fail "uevent write"
if echo "change nonsense" >"$sys/devices/ap/card04/uevent" 2>"$tmp/err"; then
  fail "a malformed uevent write succeeded"
fi
grep -q "Invalid argument" "$tmp/err" || fail "malformed write: $(cat "$tmp/err")"
# With a monitor stopped, 2,000 stores still go through at once.
for i in $(seq 2000); do echo change; done | timeout 60 bash -c \
  "while read -r a; do echo \$a > '$sys/devices/ap/card04/uevent' || exit 1; done" ||
  fail "stores were held by a stopped monitor"
sleep 1
kill "$all" "$mdev"
kill -CONT "$stopped"
kill "$stopped"
wait "$all" "$mdev" "$stopped" 2>/dev/null

# The event lines, without their timestamps.
lines() { sed -n 's/^KERNEL\[[0-9.]*\] //p' "$1"; }
want_head=$(cat <<EOT
add      /devices/vfio_ap/matrix/$U (mdev)
bind     /devices/vfio_ap/matrix/$U (mdev)
unbind   /devices/vfio_ap/matrix/$U (mdev)
remove   /devices/vfio_ap/matrix/$U (mdev)
EOT
)
[ "$(lines "$tmp/mdev")" = "$want_head" ] ||
  fail "mdev events: $(lines "$tmp/mdev")"
got=$(lines "$tmp/all")
echo "$got" | head -n 4 | diff - <(echo "$want_head") >/dev/null ||
  fail "events out of order: $(echo "$got" | head)"
# apmask -3: card 3's queues unbind and rebind, then the mask; then the
# card's ONLINE, its queues', and the synthetic event.
echo "$got" | grep -q "^change   /devices/ap (ap)$" || fail "no APMASK event"
grep -q "^APMASK=0xefffffff" "$tmp/all" || fail "APMASK value"
grep -q "^ONLINE=0$" "$tmp/all" || fail "no ONLINE=0"
grep -q "^SYNTH_UUID=9f0b8c1e-2d3a-4b5c-8d7e-6f5a4b3c2d1e$" "$tmp/all" ||
  fail "no synthetic event"
grep -q "^SYNTH_ARG_A=1$" "$tmp/all" || fail "no SYNTH_ARG_A"
# Contiguous SEQNUMs, nothing lost by the monitor that kept reading.
seqs=$(sed -n 's/^SEQNUM=//p' "$tmp/all")
first=$(echo "$seqs" | head -n 1)
n=$(echo "$seqs" | wc -l)
[ "$(echo "$seqs" | tail -n 1)" -eq $((first + n - 1)) ] ||
  fail "SEQNUMs not contiguous"
[ "$n" -ge 2000 ] || fail "only $n events"
[ ! -s "$tmp/all.err" ] || fail "the reading monitor lost events: $(cat "$tmp/all.err")"
echo "monitor: $n events in order, contiguous; a stopped monitor held no store"
