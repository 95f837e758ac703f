#!/usr/bin/env bash
# Runs a test command in a mount and a network namespace of its own, so
# that what it mounts (vapd's tree, the guests' trees, a tmpfs), the
# uevents it sends and the udevd it runs never reach the host's: the
# mounts go with the namespace when its last process exits, even after
# a SIGKILL or a ctest timeout, and the host's mount table, udevd and
# network namespace are never touched. Mount events do not propagate
# either way (--propagation private). Files under /tmp are shared with
# the host as usual.
#
# usage: isolated.sh COMMAND [ARG...]
# Needs root (CAP_SYS_ADMIN): without it the test is skipped (exit 77,
# ctest's SKIP_RETURN_CODE for these tests).
if [ "$(id -u)" -ne 0 ]; then
  echo "skipped: needs root for a private mount and network namespace"
  exit 77
fi
exec unshare --mount --net --propagation private -- "$@"
