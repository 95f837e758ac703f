# Run inside `vap sandbox` by mdevctl_test.sh: the real mdevctl (Debian's
# 1.2.0) against vapd's tree. Every command is echoed with "$ " and its
# exit status is printed when it is not 0, so the transcript in
# expected.txt says exactly what a user sees.
U1=783e6dbb-ea0e-411f-94e2-717eaad438bf
U2=c1a8bd0c-7dd1-4b2e-9a5f-5f4bbad42f3d
U3=5d7a3f2e-8c41-4a0e-b1d9-2e6f0c9a7b13
run() {
  echo "\$ $*"
  "$@" 2>&1
  local rc=$?
  [ $rc -eq 0 ] || echo "[exit $rc]"
}
run mdevctl types
run mdevctl define -u $U1 -p matrix -t vfio_ap-passthrough
run mdevctl modify -u $U1 --addattr=assign_adapter --value=5
run mdevctl modify -u $U1 --addattr=assign_domain --value=0x47
run mdevctl modify -u $U1 --addattr=assign_control_domain --value=0x47
run mdevctl list -d
run mdevctl start -u $U1
run mdevctl list
run cat /sys/bus/mdev/devices/$U1/matrix /sys/bus/mdev/devices/$U1/control_domains
run mdevctl list --dumpjson
# A second mdev that wants 05.0047 too: the kernel says EADDRINUSE, and
# mdevctl removes the half-made device again.
run mdevctl define -u $U2 -p matrix -t vfio_ap-passthrough
run mdevctl modify -u $U2 --addattr=assign_adapter --value=5
run mdevctl modify -u $U2 --addattr=assign_domain --value=0x47
run mdevctl start -u $U2
run ls /sys/bus/mdev/devices
# libvirt's way: a transient device from JSON on stdin.
echo '$ mdevctl start -u $U3 -p matrix --jsonfile /dev/stdin <<< {...}'
mdevctl start -u $U3 -p matrix --jsonfile /dev/stdin 2>&1 <<JSON || echo "[exit $?]"
{"mdev_type":"vfio_ap-passthrough","start":"manual","attrs":[{"assign_adapter":"5"},{"assign_domain":"0xab"}]}
JSON
run cat /sys/bus/mdev/devices/$U3/matrix
run mdevctl list
run mdevctl stop -u $U3
run mdevctl stop -u $U1
run mdevctl list
run mdevctl undefine -u $U1
run mdevctl undefine -u $U2
run mdevctl list -d
run ls /sys/bus/mdev/devices
