# Sourced by the integration and stress scripts that run a real vapd:
# a temporary directory with a mount point, vapd started on it, and
# clean-up on every exit (vapd killed, mount detached, files removed).
#
# Needs $vapd. Sets $tmp, $sys, $sock, $pid; vapd's stderr goes to
# $tmp/vapd.log. Functions: fail MESSAGE, start_vapd ARGS..., kill_vapd.
tmp=$(mktemp -d)
sys=$tmp/sys
sock=$tmp/vapd.sock
pid=
mkdir "$sys"

cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
  fi
  # Also when vapd is gone: a dead FUSE mount still needs detaching, and
  # so do the guests' own trees beside it.
  for m in "$sys".guests/*; do umount -l "$m" 2>/dev/null; done
  umount -l "$sys" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# Scripts may redefine it (the crash test adds its seed).
fail() {
  echo "FAIL: $*" >&2
  [ -f "$tmp/vapd.log" ] && tail -5 "$tmp/vapd.log" >&2
  exit 1
}

# start_vapd ARGS...: vapd on $sys and $sock with ARGS, once the mount
# answers.
start_vapd() {
  "$vapd" --mount "$sys" --socket "$sock" "$@" 2>>"$tmp/vapd.log" &
  pid=$!
  local _
  for _ in $(seq 250); do
    # A read, not a stat: a dead mount's cached names still stat.
    head -c 1 "$sys/bus/ap/apmask" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || fail "vapd exited at start"
    sleep 0.02
  done
  fail "vapd did not mount"
}

# kill_vapd: SIGKILL, as a crash; the mount is detached.
kill_vapd() {
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null
  pid=
  for m in "$sys".guests/*; do umount -l "$m" 2>/dev/null; done
  umount -l "$sys" 2>/dev/null
  return 0
}
