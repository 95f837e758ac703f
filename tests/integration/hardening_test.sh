#!/usr/bin/env bash
# The attacks of docs/security.md against a real vapd, each with what must
# hold: concurrent reads of one open file (as nobody), reads at an offset,
# deep JSON, idle connections, a dead mount left by a crash, shutdown with
# the mount held, SIGHUP, state paths that are not plain files or sit in
# a directory others can write, and a full disk under the state.
#
# usage: hardening_test.sh VAPD VAP VAP_ATTACK
set -u
vapd=$1 vap=$2 attack=$3
. "$(dirname "$0")/lib.sh"
chmod 755 "$tmp"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
alive() { kill -0 "$pid" 2>/dev/null || fail "vapd died: $1"; }

# stop_within SECONDS SIGNAL: vapd exits 0 within SECONDS, mount gone;
# prints how long it took.
stop_within() {
  local limit=$1 sig=$2 start
  start=$(date +%s%N)
  kill "-$sig" "$pid"
  while kill -0 "$pid" 2>/dev/null; do
    [ $(( ($(date +%s%N) - start) / 1000000 )) -le $((limit * 1000)) ] ||
      fail "vapd still runs ${limit}s after SIG$sig"
    sleep 0.02
  done
  echo "SIG$sig: vapd gone after $(( ($(date +%s%N) - start) / 1000000 )) ms"
  wait "$pid"; local status=$?
  pid=
  [ "$status" -eq 0 ] || fail "vapd exited $status after SIG$sig"
  grep -q " $sys fuse" /proc/mounts && fail "mount left after SIG$sig"
  return 0
}

start_vapd --time-scale 0.01

# 1. Eight threads pread one fd of a file nobody may read (the crash).
as_nobody "$attack" pread "$sys/bus/ap/apmask" 8 1500 >"$tmp/out" || fail "pread: $(cat "$tmp/out")"
alive "concurrent pread of one fd"
"$attack" pread "$sys/devices/ap/card05/05.0047/online" 8 500 >/dev/null || fail "pread online"
alive "concurrent pread of online"

# 2. A read at an offset of a fresh open returns the rest (seq_read_iter).
want=$(tail -c +3 "$sys/bus/ap/apmask")
got=$(dd if="$sys/bus/ap/apmask" bs=1 skip=2 2>/dev/null)
[ "$got" = "$want" ] || fail "dd skip=2 gave '$got', want '$want'"

# 3. JSON nested 200,000 deep: refused as an invalid request, vapd lives.
printf '{"jsonrpc":"2.0","id":%s1%s,"method":"system.info"}\n' \
  "$(head -c 200000 /dev/zero | tr '\0' '[')" "$(head -c 200000 /dev/zero | tr '\0' ']')" |
  "$attack" rpc "$sock" >"$tmp/out"
grep -q '"code":-32600' "$tmp/out" || fail "deep JSON: $(head -c 200 "$tmp/out")"
alive "deep JSON"
# sysfs.list with a path that is not a string: invalid params.
echo '{"jsonrpc":"2.0","id":1,"method":"sysfs.list","params":{"path":5}}' |
  "$attack" rpc "$sock" >"$tmp/out"
grep -q '"code":-32602' "$tmp/out" || fail "sysfs.list: $(cat "$tmp/out")"
# Numbers in strings are digits only: "-1" would wrap to 2^64-1 in
# strtoull(), and " 5" is not a number either. Nothing changes.
for bad in '"-1"' '" 5"' '"-4294967295"'; do
  echo "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.configure\",\"params\":{\"action\":\"add-adapter\",\"id\":9,\"functions\":$bad}}" |
    "$attack" rpc "$sock" >"$tmp/out"
  grep -q '"code":-32602' "$tmp/out" || fail "functions $bad: $(cat "$tmp/out")"
done
[ ! -e "$sys/devices/ap/card09" ] || fail "a refused add-adapter added card 9"

# 4. 70 idle connections from one process do not lock root out; the
# refused ones hear why.
"$attack" idle "$sock" 70 >"$tmp/idle" &
idler=$!
for _ in $(seq 100); do grep -q holding "$tmp/idle" && break; sleep 0.02; done
"$vap" --socket "$sock" --timeout 5 info >/dev/null || fail "root locked out by idle connections"
# As nobody: refused at once (peer credentials), counted nowhere.
chmod 666 "$sock"
for _ in $(seq 80); do
  as_nobody "$attack" rpc "$sock" </dev/null >>"$tmp/nobody" 2>&1
done
chmod 600 "$sock"
"$vap" --socket "$sock" --timeout 5 info >/dev/null || fail "root locked out after nobody's connections"
kill "$idler"; wait "$idler" 2>/dev/null
# A stopped vapd: vap gives up after --timeout instead of hanging.
kill -STOP "$pid"
start=$SECONDS
"$vap" --socket "$sock" --timeout 1 info 2>"$tmp/err" && fail "vap answered by a stopped vapd"
kill -CONT "$pid"
[ $((SECONDS - start)) -le 3 ] || fail "vap --timeout 1 took $((SECONDS - start))s"
grep -q "ETIMEDOUT" "$tmp/err" || fail "stopped vapd: $(cat "$tmp/err")"

# 5. SIGTERM while nobody holds the mount (cwd inside): exit within 2 s.
setpriv --reuid=nobody --regid=nogroup --clear-groups \
  sh -c "cd '$sys/devices' && exec sleep 60" &
holder=$!
sleep 0.2
stop_within 2 TERM
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null

# 5b. SIGTERM while a removal waits on a reset that never ends (real
# time: the driver would wait 60 s for it): resets give up, exit in time.
start_vapd
M=$sys/devices/vfio_ap/matrix
U=62177883-f1bb-47f0-914d-32a22e3a8804
echo -5 > "$sys/bus/ap/apmask"
echo -0x47 > "$sys/bus/ap/aqmask"
echo $U > "$M/mdev_supported_types/vfio_ap-passthrough/create"
echo 5 > "$M/$U/assign_adapter"
echo 0x47 > "$M/$U/assign_domain"
"$vap" --socket "$sock" host fault reset-never-ends --apqn 05.0047 >/dev/null ||
  fail "cannot inject the hung reset"
(echo 1 > "$M/$U/remove") 2>/dev/null &
remover=$!
sleep 0.5
kill -0 "$remover" 2>/dev/null || fail "the removal did not wait on the hung reset"
stop_within 2 TERM
wait "$remover" 2>/dev/null
grep -q "abandoned at shutdown" "$tmp/vapd.log" || fail "no abandoned reset logged"

# 6. A crashed vapd's dead mount is taken over by the next one.
start_vapd --time-scale 0.01
kill -KILL "$pid"; wait "$pid" 2>/dev/null; pid=
stat "$sys" >/dev/null 2>&1 && fail "no dead mount after SIGKILL"
start_vapd --time-scale 0.01
grep -q "detached the dead mount" "$tmp/vapd.log" || fail "no take-over message"
# 7. SIGHUP (the terminal closed) stops cleanly too.
stop_within 2 HUP

# 8. State paths: a FIFO, a device, a directory others can write.
mkfifo "$tmp/fifo"
for bad in "$tmp/fifo" /dev/zero; do
  timeout 5 "$vapd" --socket "$tmp/s2" --state "$bad" 2>"$tmp/err"
  status=$?
  [ "$status" -eq 1 ] || fail "--state $bad: exit $status ($(cat "$tmp/err"))"
  grep -q "not a regular file" "$tmp/err" || fail "--state $bad: $(cat "$tmp/err")"
done
mkdir -m 777 "$tmp/open"
timeout 5 "$vapd" --socket "$tmp/s2" --state "$tmp/open/state.json" 2>"$tmp/err"
[ $? -eq 1 ] || fail "--state in a 0777 directory accepted"
grep -q "writable by other users" "$tmp/err" || fail "0777: $(cat "$tmp/err")"
[ -e "$tmp/open/state.json" ] && fail "a state file was written in a 0777 directory"

# 9. A full disk (a 256 KiB tmpfs, mounted in a private mount namespace
# with its own vapd): the store fails with EIO and the cause is logged
# with the path.
mkdir "$tmp/small" "$tmp/sys3"
unshare -m --propagation private bash -c '
  small=$1 vapd=$2 mnt=$3 sock=$4 log=$5
  mount -t tmpfs -o size=256k tmpfs "$small" || exit 3
  "$vapd" --mount "$mnt" --socket "$sock" --state "$small/state.json" \
    --time-scale 0.01 2>"$log" &
  p=$!
  for _ in $(seq 250); do [ -e "$mnt/bus/ap/apmask" ] && break; sleep 0.02; done
  head -c 1M /dev/zero >"$small/fill" 2>/dev/null
  # The journal'"'"'s last page may hold a record or two: store until one
  # needs a new page.
  st=0
  for v in -5 +5 -5 +5 -5 +5 -5 +5; do
    echo $v >"$mnt/bus/ap/apmask" 2>"$small.err" || { st=1; break; }
  done
  st=$((1 - st))
  kill -TERM $p; wait $p
  umount -l "$mnt" 2>/dev/null
  exit $((st == 0 ? 0 : 4))
' _ "$tmp/small" "$vapd" "$tmp/sys3" "$tmp/s3" "$tmp/vapd3.log"
status=$?
[ "$status" -eq 0 ] || fail "full disk: the store did not fail ($status)"
grep -q "Input/output error" "$tmp/small.err" || fail "full disk: $(cat "$tmp/small.err")"
grep -q "state not saved: .*state.json.journal: No space left on device" "$tmp/vapd3.log" ||
  fail "full disk: not logged: $(cat "$tmp/vapd3.log")"

echo "hardening: concurrent pread, offset reads, deep JSON, idle connections, --timeout, shutdown with a holder, dead mount take-over, a removal on a hung reset, SIGHUP, state paths, a full disk: all held"
exit 0
