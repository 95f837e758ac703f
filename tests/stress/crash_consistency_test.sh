#!/usr/bin/env bash
# Crash consistency of vapd --state: two writers store as fast as they
# can through the FUSE mount while vapd is killed with SIGKILL at a random
# moment; vapd restarts on the same file. Every acknowledged store must be
# there, plus at most the one each writer had in flight; the invariants
# must hold (`vap check`). Then the writers go on from there. Repeated
# VAP_CRASH_ROUNDS times (default 50), from a printed seed (VAP_CRASH_SEED).
#
# Writer 1 assigns domains 0..15 to mdev A (adapter 4) in turn, then
# unassigns them in turn, and again; writer 2 does the same on mdev B
# (adapter 5). After n acknowledged stores a writer's mdev holds exactly
# Domains(n), so the expected state is known.
#
# usage: crash_consistency_test.sh VAPD VAP
set -u
vapd=$1 vap=$2
rounds=${VAP_CRASH_ROUNDS:-50}
seed=${VAP_CRASH_SEED:-$(date +%s)}
echo "crash consistency: $rounds rounds, VAP_CRASH_SEED=$seed"
RANDOM=$seed
. "$(dirname "$0")/../integration/lib.sh"
fail() { echo "FAIL (VAP_CRASH_SEED=$seed): $*" >&2; tail -5 "$tmp/vapd.log" >&2; exit 1; }
state=$tmp/state.json
start() { start_vapd --state "$state" --time-scale 0.001 --log-level err; }

M=$sys/devices/vfio_ap/matrix
A=62177883-f1bb-47f0-914d-32a22e3a8804
B=4f8a9a47-31e4-4c1e-b5a7-9d8f4ba6d8e2

# The matrix (as `matrix` shows it) of adapter $1 after $2 stores; with
# no domain, the adapter alone ("04.").
expected_matrix() {
  local adapter=$1 p=$(($2 % 32)) first last d
  if [ "$p" -eq 0 ]; then printf '%02x.\n' "$adapter"; return; fi
  if [ "$p" -le 16 ]; then first=0 last=$((p - 1)); else first=$((p - 16)) last=15; fi
  for ((d = first; d <= last; d++)); do printf '%02x.%04x\n' "$adapter" "$d"; done
}

# writer ADAPTER UUID N ACKFILE: stores from the N-th on until one fails.
writer() {
  local adapter=$1 uuid=$2 n=$3 ack=$4 d op
  while :; do
    d=$((n % 16))
    if [ $(((n / 16) % 2)) -eq 0 ]; then op=assign_domain; else op=unassign_domain; fi
    echo "$d" 2>/dev/null >"$M/$uuid/$op" || break
    n=$((n + 1))
    echo "$n" >"$ack"
  done
}

# How many of writer's stores are on disk: ACKED or ACKED+1 (in flight).
settle() {
  local adapter=$1 uuid=$2 acked=$3 actual
  actual=$(cat "$M/$uuid/matrix")
  if [ "$actual" = "$(expected_matrix "$adapter" "$acked")" ]; then
    echo "$acked"
  elif [ "$actual" = "$(expected_matrix "$adapter" $((acked + 1)))" ]; then
    echo $((acked + 1))
  else
    fail "mdev $uuid after $acked acknowledged stores: $(echo $actual)"
  fi
}

start
echo -4,-5 > "$sys/bus/ap/apmask"
echo -0-15 > "$sys/bus/ap/aqmask"
echo $A > "$M/mdev_supported_types/vfio_ap-passthrough/create"
echo $B > "$M/mdev_supported_types/vfio_ap-passthrough/create"
echo 4 > "$M/$A/assign_adapter"
echo 5 > "$M/$B/assign_adapter"
n1=0 n2=0 total=0
for ((round = 1; round <= rounds; round++)); do
  echo "$n1" >"$tmp/ack1"
  echo "$n2" >"$tmp/ack2"
  writer 4 $A "$n1" "$tmp/ack1" &
  w1=$!
  writer 5 $B "$n2" "$tmp/ack2" &
  w2=$!
  sleep "0.$((RANDOM % 25 + 2))"
  kill_vapd
  wait "$w1" "$w2"
  acked1=$(cat "$tmp/ack1") acked2=$(cat "$tmp/ack2")
  total=$((total + acked1 - n1 + acked2 - n2))
  start
  n1=$(settle 4 $A "$acked1") || exit 1
  n2=$(settle 5 $B "$acked2") || exit 1
  "$vap" --socket "$sock" check >/dev/null || fail "invariants after round $round"
done
kill -TERM "$pid"; wait "$pid" || fail "vapd exited $? after SIGTERM"; pid=
echo "crash consistency: $rounds kills during $total acknowledged stores; every one survived; invariants hold"
exit 0
