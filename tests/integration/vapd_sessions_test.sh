#!/usr/bin/env bash
# Replays the example sessions (docs/sysfs-abi.md, "Example sessions")
# through a real vapd FUSE mount with a real shell, and compares everything
# the shell prints with the session file, byte for byte. Then stops vapd
# with SIGTERM and checks it exits 0 and leaves nothing mounted.
#
# usage: vapd_sessions_test.sh VAPD VAP PROFILE SESSION_FILE...
# A session file is a transcript: "$ " lines are commands, the lines
# after one are what it prints. /sys in commands is the mount; $M, $U1
# and $U2 are set as docs/sysfs-abi.md says; `dmesg` prints vapd's
# kernel log without timestamps; `vap` is the CLI on this vapd's socket;
# <U1> and <U2> in expected lines are the UUIDs. Lines before the first
# command are a comment.
set -u
vapd=$1 vap=$2 profile=$3
shift 3

tmp=$(mktemp -d)
sys=$tmp/sys
mkdir "$sys"
cleanup() {
  if [ -n "${pid:-}" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  mountpoint -q "$sys" && umount -l "$sys"
  rm -rf "$tmp"
}
trap cleanup EXIT

"$vapd" --mount "$sys" --socket "$tmp/vapd.sock" --host "$profile" \
  --time-scale 0.001 2>"$tmp/vapd.log" &
pid=$!
for _ in $(seq 100); do
  [ -e "$sys/bus/ap/apmask" ] && break
  sleep 0.1
done
if [ ! -e "$sys/bus/ap/apmask" ]; then
  echo "vapd did not mount $sys:"; cat "$tmp/vapd.log"; exit 1
fi

U1=62177883-f1bb-47f0-914d-32a22e3a8804
U2=4f8a9a47-31e4-4c1e-b5a7-9d8f4ba6d8e2
script=$tmp/session.sh
expected=$tmp/expected
{
  echo "M=$sys/devices/vfio_ap/matrix U1=$U1 U2=$U2"
  echo "dmesg() { sed 's/^\[[^]]*\] //' '$tmp/vapd.log'; }"
  echo "vap() { '$vap' --socket '$tmp/vapd.sock' \"\$@\"; }"
  echo "cd '$sys'"
} >"$script"
: >"$expected"
n=0
for session in "$@"; do
  started=
  while IFS= read -r line || [ -n "$line" ]; do
    if [[ $line == '$ '* ]]; then
      started=1
      n=$((n + 1))
      echo "echo '@@ $n $(basename "$session")'" >>"$script"
      echo "${line:2}" | sed "s#/sys/#$sys/#g" >>"$script"
      echo "@@ $n $(basename "$session")" >>"$expected"
    elif [ -n "$started" ]; then
      echo "$line" | sed -e "s/<U1>/$U1/g" -e "s/<U2>/$U2/g" >>"$expected"
    fi
  done <"$session"
done

bash "$script" 2>&1 |
  sed -e "s#^$script: line [0-9]*: #bash: #" -e "s#$sys#/sys#g" >"$tmp/actual"
status=0
if diff -u "$expected" "$tmp/actual"; then
  echo "sessions: $n commands, output identical to the spec"
else
  status=1
fi

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
if [ "$rc" -ne 0 ]; then echo "vapd exited $rc after SIGTERM"; status=1; fi
if mountpoint -q "$sys"; then echo "still mounted after SIGTERM"; status=1; fi
grep -q "shutting down" "$tmp/vapd.log" || { echo "no shutdown line"; status=1; }
exit $status
