#!/usr/bin/env bash
# cmake --install of this build into a fresh prefix gives bin/vapd,
# bin/vap, the headers under include/vap/ and a CMake package that a
# project outside vap builds against (consumer/), whose program runs.
#
# usage: install_test.sh BUILD_DIR
set -eu
build=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
for f in bin/vapd bin/vap include/vap/vap.h include/vap/system/system.h \
         lib/cmake/vap/vapConfig.cmake share/doc/vap/examples/vapd.service; do
  [ -e "$tmp/prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
"$tmp/prefix/bin/vapd" --version
cmake -S "$here/consumer" -B "$tmp/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$tmp/consumer" >/dev/null
out=$("$tmp/consumer/consumer")
[ "$out" = "05.0047" ] || { echo "FAIL: consumer printed '$out'"; exit 1; }
echo "install: prefix complete; find_package(vap) consumer built and ran"
