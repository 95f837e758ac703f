#!/usr/bin/env bash
# No stale view through the mount (issue 15): the kernel caches names and
# attributes, so every check here first warms the cache (stat, readlink,
# ls), then changes the tree, then looks again at once:
#  - a new mdev is there as soon as `create` returns, a removed one is
#    gone (its directory, its bus/mdev link) as soon as `remove` returns;
#  - unbind/bind: the queue's `driver` link and the driver directory's
#    link to it follow at once; a mask store that moves a queue from
#    cex4queue to vfio_ap changes them at once;
#  - a directory's link count follows a new subdirectory;
# while a reader walks the tree all along and sees nothing but what a
# sysfs reader could see in a race (ENOENT for what goes away).
#
# usage: stale_view_test.sh VAPD VAP [ROUNDS]
set -u
vapd=$1 vap=$2 rounds=${3:-100}
. "$(dirname "$0")/lib.sh"
start_vapd --host builtin:default --time-scale 0.001

M=$sys/devices/vfio_ap/matrix
C=$M/mdev_supported_types/vfio_ap-passthrough/create
U=62177883-f1bb-47f0-914d-32a22e3a8804
Q=$sys/devices/ap/card05/05.0047
D=$sys/bus/ap/drivers

# A reader that never stops looking (keeps the cache warm and busy); it
# may see ENOENT for what goes away, nothing else.
(
  while :; do
    find "$sys/devices" "$sys/bus" -maxdepth 6 2>"$tmp/find.err" >/dev/null
    if grep -v "No such file or directory" "$tmp/find.err" | grep -q .; then
      cp "$tmp/find.err" "$tmp/reader.fail"
      exit 1
    fi
  done
) &
reader=$!

echo -5 >"$sys/bus/ap/apmask" || fail "apmask -5"
for r in $(seq "$rounds"); do
  # mdev life, with the names cached before each change.
  stat "$M" >/dev/null
  [ ! -e "$M/$U" ] || fail "round $r: $U there before create"
  echo $U >"$C" || fail "round $r: create"
  [ -d "$M/$U" ] || fail "round $r: $U not there after create"
  [ -L "$sys/bus/mdev/devices/$U" ] || fail "round $r: bus/mdev link missing"
  echo 5 >"$M/$U/assign_adapter" || fail "round $r: assign (mdevctl's at once)"
  stat "$M/$U/matrix" "$M/$U/remove" "$sys/bus/mdev/devices/$U" >/dev/null
  echo 1 >"$M/$U/remove" || fail "round $r: remove"
  [ ! -e "$M/$U" ] || fail "round $r: $U still there after remove"
  [ ! -e "$M/$U/matrix" ] || fail "round $r: $U/matrix still there"
  [ ! -e "$sys/bus/mdev/devices/$U" ] || fail "round $r: bus/mdev link stays"

  # unbind / bind, with the links cached.
  [ "$(readlink "$Q/driver")" = ../../../../bus/ap/drivers/vfio_ap ] ||
    fail "round $r: driver link $(readlink "$Q/driver")"
  stat "$D/vfio_ap/05.0047" >/dev/null || fail "round $r: vfio_ap/05.0047"
  echo 05.0047 >"$D/vfio_ap/unbind" || fail "round $r: unbind"
  [ ! -e "$Q/driver" ] || fail "round $r: driver link stays after unbind"
  [ ! -e "$D/vfio_ap/05.0047" ] || fail "round $r: driver's link stays"
  echo 05.0047 >"$D/vfio_ap/bind" || fail "round $r: bind"
  [ -e "$D/vfio_ap/05.0047" ] || fail "round $r: driver's link missing"
  [ "$(readlink "$Q/driver")" = ../../../../bus/ap/drivers/vfio_ap ] ||
    fail "round $r: driver link after bind: $(readlink "$Q/driver")"

  # A mask store moves card 5's queues back to the host and out again.
  stat "$D/vfio_ap/05.0000" "$sys/devices/ap/card05/05.0000/driver" >/dev/null
  echo +5 >"$sys/bus/ap/apmask" || fail "round $r: apmask +5"
  [ ! -e "$D/vfio_ap/05.0000" ] || fail "round $r: vfio_ap keeps 05.0000"
  [ -e "$D/cex4queue/05.0000" ] || fail "round $r: cex4queue lacks 05.0000"
  [ "$(readlink "$sys/devices/ap/card05/05.0000/driver")" = \
    ../../../../bus/ap/drivers/cex4queue ] || fail "round $r: 05.0000 link"
  echo -5 >"$sys/bus/ap/apmask" || fail "round $r: apmask -5"
  [ -e "$D/vfio_ap/05.0000" ] || fail "round $r: vfio_ap lacks 05.0000"
  [ ! -e "$D/cex4queue/05.0000" ] || fail "round $r: cex4queue keeps 05.0000"
done

# A directory's link count follows its subdirectories.
before=$(stat -c %h "$M")
echo $U >"$C" || fail "create"
[ "$(stat -c %h "$M")" -eq $((before + 1)) ] || fail "matrix's link count"
echo 1 >"$M/$U/remove" || fail "remove"
[ "$(stat -c %h "$M")" -eq "$before" ] || fail "matrix's link count after"

kill "$reader" 2>/dev/null
wait "$reader" 2>/dev/null
[ ! -e "$tmp/reader.fail" ] || fail "the reader saw: $(head -3 "$tmp/reader.fail")"
echo "stale view: $rounds rounds of create/remove, unbind/bind and mask moves seen at once"
