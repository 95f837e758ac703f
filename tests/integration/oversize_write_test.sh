#!/usr/bin/env bash
# A write of 1 MiB to attributes through the mount is handled as sysfs
# handles it (docs/fidelity.md "Page limits": the store sees at most 4096
# bytes and its errno is the write's), changes nothing, and costs vapd no
# memory to speak of; a 1 MiB JSON-RPC request is refused.
#
# usage: oversize_write_test.sh VAPD VAP
set -u
vapd=$1 vap=$2
. "$(dirname "$0")/lib.sh"
rss_kib() { sed -n 's/^VmRSS: *\([0-9]*\) kB/\1/p' "/proc/$pid/status"; }

start_vapd --time-scale 0.001
M=$sys/devices/vfio_ap/matrix
U=62177883-f1bb-47f0-914d-32a22e3a8804
echo -5 > "$sys/bus/ap/apmask"
echo $U > "$M/mdev_supported_types/vfio_ap-passthrough/create"
head -c 1048576 /dev/zero | tr '\0' '5' > "$tmp/fives"
head -c 1048576 /dev/zero | tr '\0' ',' > "$tmp/commas"
before=$(rss_kib)
view() { cat "$sys/bus/ap/apmask" "$sys/bus/ap/aqmask" "$M/$U/matrix" "$M/$U/ap_config"; ls "$M"; }
state=$(view)
for attr in "$M/$U/assign_adapter" "$M/$U/assign_domain" "$M/$U/ap_config" \
            "$sys/bus/ap/apmask" "$sys/bus/ap/drivers/vfio_ap/unbind" \
            "$M/mdev_supported_types/vfio_ap-passthrough/create" "$M/$U/remove"; do
  for data in fives commas; do
    # One write(2) of 1 MiB (dd bs=1M), then dd's retries of the rest.
    if dd if="$tmp/$data" of="$attr" bs=1M count=1 2>"$tmp/err"; then
      # ",,," is a valid ap_config: three empty masks, as the mdev has.
      [ "$data$attr" = "commas$M/$U/ap_config" ] && continue
      fail "1 MiB of $data into $attr succeeded"
    fi
    grep -q "Invalid argument\|Numerical result out of range\|No such device" "$tmp/err" ||
      fail "$attr: $(cat "$tmp/err")"
  done
done
[ "$(view)" = "$state" ] || fail "an oversized write changed something"
after=$(rss_kib)
[ $((after - before)) -lt 16384 ] || fail "vapd grew by $((after - before)) KiB"
big=$(head -c 1048576 /dev/zero | tr '\0' 'x')
"$vap" --socket "$sock" sysfs write bus/ap/apmask "$big" 2>"$tmp/err" && fail "1 MiB RPC accepted"
"$vap" --socket "$sock" info >/dev/null || fail "vapd stopped answering"
kill -0 "$pid" || fail "vapd died"
echo "oversize: 14 writes of 1 MiB handled (13 refused with the store's errno), nothing changed, RSS +$((after - before)) KiB; 1 MiB RPC refused"
exit 0
