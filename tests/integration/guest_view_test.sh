#!/usr/bin/env bash
# A guest's own /sys (issue 17) through a real vapd: each running guest's
# kernel tree is mounted at MOUNT.guests/NAME and reported by `vap guest
# show --json` as "sysfs"; `vap sandbox --guest NAME` makes it /sys. With
# an mdev of cards 05 and 06, domains 0x04 and 0xab and control domains
# 0x04, 0x47 and 0xab, the guest lists exactly cards 05
# and 06 and their four queues, ap_domain 4 and the three masks; a domain
# hot plugged while the guest's event handling is paused appears after it
# resumes and not before; the guest kernel's uevents reach `vap sandbox
# --guest --uevents`; a reboot rediscovers; a stop ends the mount.
#
# usage: guest_view_test.sh VAPD VAP
set -u
vapd=$1 vap=$2
. "$(dirname "$0")/lib.sh"
# Model time at the wall clock's pace: the guest's periodic scan (every
# config_time, 30 s) must not find a change while its event handling is
# paused.
start_vapd --host builtin:default --time-scale 1
v() { "$vap" --socket "$sock" "$@"; }
M=$sys/devices/vfio_ap/matrix
U=62177883-f1bb-47f0-914d-32a22e3a8804
g=$sys.guests/g1

echo -5,-6 > "$sys/bus/ap/apmask" || fail "apmask"
echo -0x04,-0x47,-0xab > "$sys/bus/ap/aqmask" || fail "aqmask"
echo $U > "$M/mdev_supported_types/vfio_ap-passthrough/create" || fail "create"
for a in 5 6; do echo $a > "$M/$U/assign_adapter" || fail "assign_adapter $a"; done
for d in 0x04 0xab; do echo $d > "$M/$U/assign_domain" || fail "assign_domain $d"; done
for d in 0x04 0x47 0xab; do
  echo $d > "$M/$U/assign_control_domain" || fail "assign_control_domain $d"
done
# The queues handed to vfio_ap were reset (20 ms); a guest started while a
# reset runs would find no queue answering RC 0 for its default domain.
sleep 0.2
v guest start g1 --mdev $U --vcpus 1 >/dev/null || fail "guest start"
path=$(v --json guest show g1 | grep -o '"sysfs": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/')
[ "$path" = "$g" ] || fail "guest show gave sysfs '$path', not $g"

# wait_for CMD...: until CMD succeeds (10 s at most).
wait_for() {
  local _
  for _ in $(seq 500); do "$@" && return 0; sleep 0.02; done
  return 1
}

out=$(v sandbox --guest g1 -- sh -c 'ls /sys/bus/ap/devices | tr "\n" " "; echo
  cat /sys/bus/ap/ap_domain /sys/devices/ap/card05/type /sys/devices/ap/card06/type \
      /sys/bus/ap/bindings /sys/bus/ap/ap_adapter_mask /sys/bus/ap/ap_usage_domain_mask \
      /sys/bus/ap/ap_control_domain_mask') || fail "sandbox --guest: $out"
z=0000000000000000
want="05.0004 05.00ab 06.0004 06.00ab card05 card06 
4
CEX8C
CEX8A
4/4 (complete)
0x0600000000000000$z$z$z
0x0800000000000000${z}0000000000100000$z
0x08000000000000000100000000000000""0000000000100000$z"
[ "$out" = "$want" ] || fail "the guest's /sys:
$out
want:
$want"
echo "guest view: the guest's /sys at $path, in vap sandbox --guest"

# A hot plug waits for the guest's event handling.
v guest events g1 off || fail "guest events off"
scans=$(cat "$g/bus/ap/scans")
echo 0x47 > "$M/$U/assign_domain" || fail "assign_domain 0x47"
sleep 0.2
[ ! -e "$g/bus/ap/devices/05.0047" ] || fail "05.0047 before the event"
[ "$(cat "$g/bus/ap/scans")" = "$scans" ] || fail "the guest scanned before the event"
v guest events g1 on || fail "guest events on"
wait_for test -e "$g/bus/ap/devices/05.0047" || fail "no 05.0047 after the event"
[ "$(cat "$g/devices/ap/card06/06.0047/online")" = 1 ] || fail "06.0047 not online"
echo "guest view: a hot plugged domain appears after the event and not before"

# The guest kernel's uevents reach its sandbox: the unplug's removals.
v sandbox --guest g1 --uevents -- sh -c "
  timeout 3 udevadm monitor --kernel --subsystem-match=ap > $tmp/gmon 2>&1 &
  sleep 0.5
  echo 0x47 > $M/$U/unassign_domain
  wait" || fail "sandbox --guest --uevents"
grep -q "remove *$(echo /devices/ap/card05/05.0047) (ap)" "$tmp/gmon" ||
  fail "the guest's udevadm monitor heard no removal: $(cat "$tmp/gmon")"
grep -q "card05/05.0004" "$tmp/gmon" &&
  fail "the guest heard of a queue it keeps: $(cat "$tmp/gmon")"
echo "guest view: the guest kernel's uevents in vap sandbox --guest --uevents"

# A reboot: a new kernel, the same devices, its tree at the same path.
v guest reset g1 || fail "guest reset"
wait_for test -e "$g/bus/ap/devices/06.00ab" || fail "no 06.00ab after the reboot"
[ ! -e "$g/bus/ap/devices/06.0047" ] || fail "06.0047 after the reboot"
[ "$(cat "$g/bus/ap/scans")" -ge 1 ] || fail "scans after the reboot"
v guest stop g1 || fail "guest stop"
[ ! -e "$g" ] || fail "$g is still there after the stop"
echo "guest view: a reboot rediscovers; a stop ends the mount"
