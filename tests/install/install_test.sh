#!/usr/bin/env bash
# cmake --install of this build into a fresh prefix gives bin/vapd,
# bin/vap, the public headers (include/vap/*.h and nothing else) and a
# CMake package that a project outside vap builds against (consumer/),
# whose program drives a host through the API and runs.
#
# usage: install_test.sh BUILD_DIR
set -eu
build=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
for f in bin/vapd bin/vap include/vap/vap.h include/vap/host.h \
         lib/cmake/vap/vapConfig.cmake share/doc/vap/examples/vapd.service; do
  [ -e "$tmp/prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
headers=$(cd "$tmp/prefix/include" && find . -name '*.h' | sort | tr '\n' ' ')
[ "$headers" = "./vap/host.h ./vap/result.h ./vap/status.h ./vap/vap.h " ] ||
  { echo "FAIL: installed headers: $headers"; exit 1; }
"$tmp/prefix/bin/vapd" --version
cmake -S "$here/consumer" -B "$tmp/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$tmp/consumer" >/dev/null
out=$("$tmp/consumer/consumer")
want=$'guest g1: 05.0047\nmatrix: 05.0047\nevent: add /devices/vfio_ap/matrix/62177883-f1bb-47f0-914d-32a22e3a8804'
[ "$out" = "$want" ] || { echo "FAIL: consumer printed '$out'"; exit 1; }
echo "install: prefix complete; find_package(vap) consumer built and ran"
