#!/usr/bin/env bash
# The real udev (Debian's systemd 252) against vapd in `vap sandbox
# --uevents` and `--udev` (issue 14):
#  1. `udevadm monitor --kernel --property` inside the sandbox hears the
#     events of creating an mdev, assigning, removing it, a mask store and
#     a card going offline exactly as `vap monitor --property` prints them
#     (SEQNUM aside: the kernel numbers what it broadcasts), with rising
#     SEQNUMs; a listener in this test's own network namespace hears none.
#  2. In --udev with --udev-rules: mdevctl's autostart through its rule
#     (Debian's copy with /usr/bin/mdevctl), at the coldplug and on
#     `echo add > matrix/uevent`; `udevadm trigger --settle` on the matrix
#     returns; `udevadm info` on a card, a queue, the matrix and an mdev;
#     a rule writing ATTR{aqmask} on BINDINGS=complete takes effect; a
#     "udev" monitor hears udevd's events.
#  3. --udev with the host's rules masks 80-drivers.rules; the host's /run
#     and /dev are not the sandbox's; udevd links /dev/char/MAJ:MIN for the
#     mdev's VFIO character devices.
#
# usage: udev_test.sh VAPD VAP
set -u
vapd=$1 vap=$2
. "$(dirname "$0")/lib.sh"
if ! command -v udevadm >/dev/null || [ ! -x /lib/systemd/systemd-udevd ]; then
  echo "FAIL: udev is not installed (scripts/deps installs it)" >&2
  exit 1
fi
start_vapd --host builtin:default --time-scale 0.001
mkdir "$tmp/mdevctl" "$tmp/rules"
sb() { "$vap" --socket "$sock" sandbox --mdevctl-dir "$tmp/mdevctl" "$@"; }
M=/sys/devices/vfio_ap/matrix
U=62177883-f1bb-47f0-914d-32a22e3a8804
A=3f5e0c8a-9b2d-4c61-8e7f-0a1b2c3d4e5f

# wait_for FILE TEXT: until FILE holds TEXT (10 s at most).
wait_for() {
  local _
  for _ in $(seq 500); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.02
  done
  return 1
}

# 1. The kernel's events over netlink, next to vap monitor's.
"$vap" --socket "$sock" monitor --property >"$tmp/vap.out" &
vmon=$!
udevadm monitor --kernel --property --subsystem-match=mdev \
  --subsystem-match=matrix >"$tmp/host.out" 2>&1 &
hmon=$!
wait_for "$tmp/vap.out" "monitor will print" || fail "vap monitor did not start"
cat >"$tmp/kernel.sh" <<EOS
udevadm monitor --kernel --property >"$tmp/udev.out" 2>&1 &
mon=\$!
for _ in \$(seq 500); do grep -q "monitor will print" "$tmp/udev.out" && break; sleep 0.02; done
echo $U >$M/mdev_supported_types/vfio_ap-passthrough/create || exit 2
echo 0x47 >$M/$U/assign_domain || exit 3
echo 1 >$M/$U/remove || exit 4
echo -3 >/sys/bus/ap/apmask || exit 5
echo 0 >/sys/devices/ap/card04/online || exit 6
# The rebinding after the mask store ends in BINDINGS=complete.
for _ in \$(seq 500); do grep -q "COMPLETECOUNT=2" "$tmp/udev.out" && break; sleep 0.02; done
echo "change $A" >/sys/devices/ap/card04/uevent || exit 7
for _ in \$(seq 500); do grep -q "SYNTH_UUID=$A" "$tmp/udev.out" && break; sleep 0.02; done
kill \$mon
EOS
sb --uevents -- bash "$tmp/kernel.sh" || fail "the --uevents sandbox: exit $?"
wait_for "$tmp/vap.out" "SYNTH_UUID=$A" || fail "vap monitor missed events"
kill "$vmon" "$hmon"
wait "$vmon" "$hmon" 2>/dev/null
grep -q "SYNTH_UUID=$A" "$tmp/udev.out" || fail "udevadm missed events: $(tail "$tmp/udev.out")"
# Both without timestamps and SEQNUMs.
strip() { sed -e 's/^\(KERNEL\)\[[0-9.]*\]/\1/' -e '/^SEQNUM=/d' "$1"; }
diff -u <(strip "$tmp/vap.out") <(strip "$tmp/udev.out") >"$tmp/diff" ||
  fail "udevadm monitor --kernel differs from vap monitor: $(head -40 "$tmp/diff")"
n=$(grep -c '^KERNEL' "$tmp/udev.out")
[ "$n" -ge 20 ] || fail "only $n events"
sed -n 's/^SEQNUM=//p' "$tmp/udev.out" | sort -c -n -u ||
  fail "SEQNUMs do not rise"
! grep -q '^KERNEL\[' "$tmp/host.out" ||
  fail "vap's events reached this test's network namespace: $(head "$tmp/host.out")"
echo "uevents: udevadm monitor --kernel heard the $n events vap monitor printed, in order"

# 2. systemd-udevd with the rules of a directory.
sed 's|/usr/sbin/mdevctl|/usr/bin/mdevctl|g' /lib/udev/rules.d/60-mdevctl.rules \
  >"$tmp/rules/60-mdevctl.rules"
cat >"$tmp/rules/41-ap.rules" <<'EOR'
ACTION=="change", SUBSYSTEM=="ap", ENV{BINDINGS}=="complete", ATTR{../../bus/ap/aqmask}="-8"
EOR
# Adapter 5's queues to vfio_ap, for the mdev.
echo -5 >"$sys/bus/ap/apmask" || fail "apmask -5"
sb -- sh -c "mdevctl define -u $U -p matrix -t vfio_ap-passthrough --auto &&
  mdevctl modify -u $U --addattr=assign_adapter --value=5 &&
  mdevctl modify -u $U --addattr=assign_domain --value=0x47" ||
  fail "mdevctl define --auto"
[ ! -e "$sys/devices/vfio_ap/matrix/$U" ] || fail "defined is not started"
cat >"$tmp/udev.sh" <<EOS
set -e
# The coldplug's add on the matrix started it.
test -e $M/$U || { echo "not started at coldplug"; exit 2; }
udevadm monitor --udev --property >"$tmp/udevd.out" 2>&1 &
mon=\$!
for _ in \$(seq 500); do grep -q "monitor will print" "$tmp/udevd.out" && break; sleep 0.02; done
mdevctl stop -u $U
echo add >$M/uevent
for _ in \$(seq 500); do test -e $M/$U && break; sleep 0.02; done
test -e $M/$U || { echo "not started on add"; exit 3; }
timeout 20 udevadm trigger --settle $M || { echo "trigger --settle: \$?"; exit 4; }
for d in /sys/devices/ap/card04 /sys/devices/ap/card05/05.0047 $M $M/$U; do
  udevadm info \$d
done >"$tmp/info.out"
"$vap" --socket "$sock" host configure add-adapter 9 >/dev/null
for _ in \$(seq 500); do grep -q 0xff7fffff /sys/bus/ap/aqmask && break; sleep 0.02; done
cat /sys/bus/ap/aqmask >"$tmp/aqmask"
for _ in \$(seq 500); do grep -q "^BINDINGS=complete" "$tmp/udevd.out" && break; sleep 0.02; done
kill \$mon
EOS
sb --udev --udev-rules "$tmp/rules" -- bash "$tmp/udev.sh" ||
  fail "the --udev sandbox: exit $?"
cat >"$tmp/info.want" <<EOT
P: /devices/ap/card04
M: card04
R: 04
U: ap
T: ap_card
V: cex4card
E: DEVPATH=/devices/ap/card04
E: SUBSYSTEM=ap
E: DEVTYPE=ap_card
E: DRIVER=cex4card
E: DEV_TYPE=000E
E: MODALIAS=ap:t0E
E: MODE=ep11

P: /devices/ap/card05/05.0047
M: 05.0047
R: 0047
U: ap
T: ap_queue
V: vfio_ap
E: DEVPATH=/devices/ap/card05/05.0047
E: SUBSYSTEM=ap
E: DEVTYPE=ap_queue
E: DRIVER=vfio_ap
E: MODE=cca

P: /devices/vfio_ap/matrix
M: matrix
U: matrix
V: vfio_ap
E: DEVPATH=/devices/vfio_ap/matrix
E: SUBSYSTEM=matrix
E: DRIVER=vfio_ap

P: /devices/vfio_ap/matrix/$U
M: $U
R: 8804
U: mdev
V: vfio_ap_mdev
E: DEVPATH=/devices/vfio_ap/matrix/$U
E: SUBSYSTEM=mdev
E: DRIVER=vfio_ap_mdev

EOT
diff -u "$tmp/info.want" "$tmp/info.out" || fail "udevadm info differs"
grep -q '^0xff7fffff' "$tmp/aqmask" ||
  fail "the ATTR{aqmask} rule did not run: aqmask $(cat "$tmp/aqmask")"
grep -q "^UDEV .* bind .*/devices/vfio_ap/matrix/$U (mdev)" "$tmp/udevd.out" ||
  fail "a udev monitor did not hear udevd: $(head "$tmp/udevd.out")"
echo "udev: mdevctl autostart by rule, trigger --settle, udevadm info, an ATTR{} rule, udev monitors"

# 3. The host's rules, less module loading; /run and /dev are private.
# udevd links /dev/char/MAJ:MIN to the node of each device with a number:
# mdev $U's VFIO group and VFIO device.
out=$(sb --udev -- sh -c 'readlink /run/udev/rules.d/80-drivers.rules; ls /dev | tr "\n" " "; echo
  for l in /dev/char/*; do echo "$l -> $(readlink "$l")"; done') ||
  fail "the host-rules sandbox"
[ "$out" = "/dev/null
char fd full null random shm stderr stdin stdout tty urandom zero 
/dev/char/242:0 -> ../vfio/devices/vfio0
/dev/char/243:0 -> ../vfio/0" ] ||
  fail "host rules sandbox: $out"
[ ! -e /run/udev/rules.d/80-drivers.rules ] || fail "the host's /run was written"
echo "udev: the host's rules without 80-drivers.rules, private /run and /dev"
