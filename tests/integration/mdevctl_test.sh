#!/usr/bin/env bash
# The real mdevctl (Debian's package, 1.2.0) against vapd's FUSE mount in
# `vap sandbox`: mdevctl/session.sh's transcript must equal
# mdevctl/expected.txt byte for byte. Then what the sandbox promises: CMD's
# exit status, a private /etc/mdevctl.d (fresh and removed, or the one
# given, kept), an /etc overlay where there is no /etc/mdevctl.d, nothing
# changed or left mounted outside, and a clear refusal without root.
#
# usage: mdevctl_test.sh VAPD VAP
set -u
vapd=$1 vap=$2
here=$(cd "$(dirname "$0")" && pwd)
command -v mdevctl >/dev/null || { echo "FAIL: mdevctl is not installed (scripts/deps installs it)"; exit 1; }
. "$here/lib.sh"

start_vapd --time-scale 0.001
echo -5 > "$sys/bus/ap/apmask"
echo -0x47,-0xab > "$sys/bus/ap/aqmask"

host_etc() { find /etc/mdevctl.d | sort; }
# The mounts the sandbox could have left: on /sys, /etc or its own
# directories (other tests may mount and unmount meanwhile).
mounts() {
  awk '{print $5}' /proc/self/mountinfo |
    grep -E '^/(sys|etc)(/|$)|vap-mdevctl|vap-sandbox' | sort
}
temps() { ls -d "${TMPDIR:-/tmp}"/vap-mdevctl.* "${TMPDIR:-/tmp}"/vap-sandbox.* 2>/dev/null | wc -l; }
etc_before=$(host_etc) mounts_before=$(mounts) temps_before=$(temps)

# 1. The session, byte for byte (the mount is found through system.info).
"$vap" --socket "$sock" sandbox -- bash "$here/mdevctl/session.sh" >"$tmp/actual"
diff -u "$here/mdevctl/expected.txt" "$tmp/actual" || fail "mdevctl session differs"
echo "mdevctl: $(grep -c '^\$ ' "$tmp/actual") commands, output identical to expected.txt"

# 2. CMD's exit status, also for a signal and a missing command.
"$vap" --socket "$sock" sandbox -- sh -c 'exit 7'; [ $? -eq 7 ] || fail "exit status not passed on"
"$vap" sandbox --mount "$sys" -- sh -c 'kill -TERM $$'; [ $? -eq 143 ] || fail "signal not passed on"
"$vap" sandbox --mount "$sys" -- /nonexistent/cmd 2>"$tmp/err"; [ $? -eq 127 ] || fail "missing command"
grep -q "^vap sandbox: /nonexistent/cmd: No such file or directory$" "$tmp/err" || fail "$(cat "$tmp/err")"

# A SIGTERM or SIGHUP sent to the sandbox alone (a supervisor's kill) is
# passed on: CMD ends with it, the sandbox exits with CMD's status and
# cleans up (the mounts and temporaries are counted at the end).
marker=377.$$
for s in TERM HUP; do
  "$vap" sandbox --mount "$sys" -- sleep "$marker" & sp=$!
  for _ in $(seq 200); do pgrep -f "^sleep $marker\$" >/dev/null && break; sleep 0.02; done
  pgrep -f "^sleep $marker\$" >/dev/null || fail "CMD did not start"
  kill -$s $sp
  for _ in $(seq 250); do kill -0 $sp 2>/dev/null || break; sleep 0.02; done
  kill -0 $sp 2>/dev/null && fail "the sandbox did not end on SIG$s"
  wait $sp; rc=$?
  [ $rc -eq $((128 + $(kill -l $s))) ] || fail "SIG$s: exit status $rc"
  ! pgrep -f "^sleep $marker\$" >/dev/null || fail "CMD left running after SIG$s"
done

# The sandbox tells libudev to accept a /sys that is not sysfs.
out=$("$vap" sandbox --mount "$sys" -- sh -c 'echo $SYSTEMD_DEVICE_VERIFY_SYSFS')
[ "$out" = 0 ] || fail "SYSTEMD_DEVICE_VERIFY_SYSFS is '$out'"

# 3. --mdevctl-dir is kept across sandboxes; the folders mdevctl needs are made.
d=$tmp/mdevctl.d
U=0f3c0a0e-0d3e-4c57-9d1b-4a3c8d7e6f50
"$vap" sandbox --mount "$sys" --mdevctl-dir "$d" -- mdevctl define -u $U -p matrix -t vfio_ap-passthrough || fail "define"
[ -d "$d/scripts.d/callouts" ] && [ -d "$d/scripts.d/notifiers" ] && [ -f "$d/matrix/$U" ] || fail "mdevctl dir: $(find "$d")"
out=$("$vap" sandbox --mount "$sys" --mdevctl-dir "$d" -- mdevctl list -d)
[ "$out" = "$U matrix vfio_ap-passthrough manual" ] || fail "list -d in a second sandbox: $out"

# 4. No /etc/mdevctl.d (simulated with an empty /etc in an outer
#    namespace): /etc becomes an overlay inside the sandbox only.
mkdir "$tmp/emptyetc"
unshare -m --propagation private sh -c '
  mount --bind "$1/emptyetc" /etc
  "$2" sandbox --mount "$3" -- sh -c "test -d /etc/mdevctl.d/scripts.d/callouts && echo overlay-ok"
  ls -A /etc' sh "$tmp" "$vap" "$sys" >"$tmp/out" 2>&1
[ "$(cat "$tmp/out")" = overlay-ok ] || fail "overlay fallback: $(cat "$tmp/out")"

# 5. Without root the sandbox says why and runs nothing.
if id nobody >/dev/null 2>&1; then
  chmod 755 "$tmp"
  setpriv --reuid=nobody --regid=nogroup --clear-groups "$vap" sandbox --mount "$sys" -- touch "$tmp/ran" 2>"$tmp/err"
  rc=$?
  [ $rc -eq 1 ] && [ ! -e "$tmp/ran" ] || fail "unprivileged sandbox: rc $rc"
  grep -q "^vap sandbox: a private mount namespace needs root (CAP_SYS_ADMIN): Operation not permitted$" "$tmp/err" ||
    fail "unprivileged: $(cat "$tmp/err")"
fi

# 6. Nothing changed or left outside.
[ "$(host_etc)" = "$etc_before" ] || fail "host /etc/mdevctl.d changed"
[ "$(mounts)" = "$mounts_before" ] || fail "mounts left behind"
[ "$(temps)" = "$temps_before" ] || fail "temporary directories left behind"
echo "sandbox: exit status, SIGTERM and SIGHUP passed on, private and kept mdevctl dirs, /etc overlay, root check; host untouched"
exit 0
