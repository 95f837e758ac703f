#!/usr/bin/env bash
# Verifies docs/model/vfio_ap_locks.pml with spin. The model must pass
# (no assertion violated, no invalid end state = no deadlock): each
# scenario exhaustively (and, with VAP_MODEL_FULL=1, all threads together
# with bitstate hashing). Each mutation must fail, so the checks are known
# to bite.
#
# usage: check.sh [WORKDIR]
set -u
model=$(cd "$(dirname "$0")" && pwd)/vfio_ap_locks.pml
work=${1:-$(mktemp -d)}
mkdir -p "$work"
command -v spin >/dev/null || { echo "FAIL: spin is not installed (scripts/deps installs it)"; exit 1; }
command -v cc >/dev/null || { echo "FAIL: no C compiler for spin's verifier"; exit 1; }

# verify NAME "SPIN FLAGS" "CC FLAGS" "PAN FLAGS": prints a summary line;
# returns 0 if spin found no error, 1 if it found one, 2 if the search
# was incomplete or did not run.
verify() {
  local name=$1 spin_flags=$2 cc_flags=$3 pan_flags=$4
  local dir=$work/$name
  rm -rf "$dir" && mkdir -p "$dir"
  # shellcheck disable=SC2086
  (cd "$dir" && spin -a $spin_flags "$model" >spin.txt 2>&1 &&
    cc -O2 -DSAFETY $cc_flags -o pan pan.c 2>cc.txt &&
    ./pan $pan_flags >out.txt 2>&1)
  local errors states why
  errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$dir/out.txt" 2>/dev/null | head -1)
  states=$(sed -n 's/^ *\([0-9e.+]*\) states, stored.*/\1/p' "$dir/out.txt" 2>/dev/null | head -1)
  why=$(grep -m1 -E 'assertion violated|invalid end state \(' "$dir/out.txt" 2>/dev/null || true)
  echo "$name: errors ${errors:-?}, states ${states:-?}${why:+ -- $why}"
  if [ -z "$errors" ]; then
    cat "$dir"/*.txt
    return 2
  fi
  if [ "$errors" -eq 0 ] &&
     grep -q "reached -DMEMLIM bound\|max search depth too small" "$dir/out.txt"; then
    echo "$name: search incomplete"
    return 2
  fi
  [ "$errors" -eq 0 ]
}

exhaustive="-DCOLLAPSE -DMEMLIM=4096"
status=0
runs=("guest:-DSCENARIO=1:$exhaustive:-m100000"
      "bus:-DSCENARIO=2:$exhaustive:-m100000"
      "removal:-DSCENARIO=3:$exhaustive:-m100000"
      "uevents:-DSCENARIO=4:$exhaustive:-m100000"
      "mount:-DSCENARIO=5:$exhaustive:-m100000"
      "queues:-DSCENARIO=6:$exhaustive:-m100000"
      "guest-kernel:-DSCENARIO=7:$exhaustive:-m100000"
      "migration:-DSCENARIO=8:$exhaustive:-m100000"
      "migration-host:-DSCENARIO=9:$exhaustive:-m100000")
# All threads together: 5.6e8 states with -w31, about 8 minutes; only on
# request (VAP_MODEL_FULL=1), not in CI.
if [ "${VAP_MODEL_FULL:-0}" = 1 ]; then
  runs+=("all-bitstate::-DBITSTATE:-m100000 -w31")
fi
for run in "${runs[@]}"; do
  IFS=: read -r name spin_flags cc_flags pan_flags <<<"$run"
  verify "model-$name" "$spin_flags" "$cc_flags" "$pan_flags" ||
    { echo "FAIL: the lock protocol model fails ($name)"; status=1; }
done
for run in "reverse-probe:-DSCENARIO=2 -DREVERSE_PROBE:assertion violated" \
           "reverse-probe-no-lockdep:-DSCENARIO=2 -DREVERSE_PROBE -DNO_LOCKDEP:invalid end state" \
           "no-block:-DSCENARIO=1 -DNO_BLOCK:assertion violated (lo==hi)" \
           "commit-in-store:-DSCENARIO=1 -DCOMMIT_IN_STORE:assertion violated" \
           "observe-locked:-DSCENARIO=1 -DOBSERVE_LOCKED:invalid end state" \
           "hub-waits:-DSCENARIO=4 -DHUB_WAITS:invalid end state" \
           "lookup-waits:-DSCENARIO=5 -DLOOKUP_WAITS:invalid end state" \
           "sm-locked-probe:-DSCENARIO=6 -DSM_LOCKED_PROBE:assertion violated" \
           "guest-under-bql:-DSCENARIO=7 -DGUEST_UNDER_BQL:assertion violated" \
           "overlay-under-mdevs:-DSCENARIO=8 -DOVERLAY_UNDER_MDEVS:assertion violated"; do
  IFS=: read -r name spin_flags expect <<<"$run"
  verify "mutant-$name" "$spin_flags" "$exhaustive" "-m100000"
  rc=$?
  if [ "$rc" -ne 1 ] || ! grep -q "$expect" "$work/mutant-$name/out.txt"; then
    echo "FAIL: mutation $name was not caught as '$expect'"
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "model: the protocol holds and every mutation is caught"
exit "$status"
