#!/usr/bin/env bash
# What a user other than root may do with a vapd run by root: read what
# sysfs lets everyone read through the mount, write nothing (EACCES, as
# sysfs's modes say), and not talk to the socket (mode 0600, peer
# credentials).
#
# usage: permissions_test.sh VAPD VAP
set -u
vapd=$1 vap=$2
id nobody >/dev/null 2>&1 || { echo "FAIL: no user 'nobody'"; exit 1; }
. "$(dirname "$0")/lib.sh"
chmod 755 "$tmp"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

start_vapd --time-scale 0.001
M=$sys/devices/vfio_ap/matrix
U=62177883-f1bb-47f0-914d-32a22e3a8804
echo -5 > "$sys/bus/ap/apmask"
echo $U > "$M/mdev_supported_types/vfio_ap-passthrough/create"
echo 5 > "$M/$U/assign_adapter"

# Reads: what is 0444/0644 in sysfs.
[ "$(as_nobody cat "$M/$U/matrix")" = "05." ] || fail "nobody cannot read matrix"
as_nobody cat "$sys/bus/ap/apmask" >/dev/null || fail "nobody cannot read apmask"
as_nobody readlink "$sys/bus/mdev/devices/$U" >/dev/null || fail "nobody cannot readlink"
[ "$(stat -c '%U %a' "$M/$U/assign_adapter")" = "root 200" ] || fail "mode: $(stat -c '%U %a' "$M/$U/assign_adapter")"

# Writes: none, EACCES, and nothing changes.
check_denied() {
  local file=$1 value=$2
  as_nobody sh -c "echo $value > '$file'" 2>"$tmp/err" && fail "nobody wrote $file"
  grep -q "Permission denied" "$tmp/err" || fail "$file: $(cat "$tmp/err")"
}
check_denied "$M/$U/assign_adapter" 6
check_denied "$M/$U/remove" 1
check_denied "$sys/bus/ap/apmask" -6
check_denied "$M/mdev_supported_types/vfio_ap-passthrough/create" 4f8a9a47-31e4-4c1e-b5a7-9d8f4ba6d8e2
as_nobody touch "$M/newfile" 2>/dev/null && fail "nobody created a file"
[ "$(cat "$M/$U/matrix")" = "05." ] || fail "matrix changed"
[ -e "$M/4f8a9a47-31e4-4c1e-b5a7-9d8f4ba6d8e2" ] && fail "nobody created an mdev"

# The socket: 0600, root's; nobody cannot connect.
[ "$(stat -c '%U %a' "$sock")" = "root 600" ] || fail "socket: $(stat -c '%U %a' "$sock")"
as_nobody "$vap" --socket "$sock" info 2>"$tmp/err" && fail "nobody used the socket"
grep -q "EACCES" "$tmp/err" || fail "socket: $(cat "$tmp/err")"
"$vap" --socket "$sock" info >/dev/null || fail "root cannot use the socket"
# Peer credentials: even with the mode opened up, vapd answers nobody.
chmod 666 "$sock"
as_nobody "$vap" --socket "$sock" info >"$tmp/out" 2>"$tmp/err" && fail "nobody used the opened socket"
[ -s "$tmp/out" ] && fail "vapd answered nobody: $(cat "$tmp/out")"
chmod 600 "$sock"
echo "permissions: nobody reads, writes nothing (EACCES), cannot connect, is not answered on an opened socket"
exit 0
