#!/usr/bin/env bash
# Installs what is missing on a Debian 12 machine. "run" needs the build and
# media packages; "test" also needs the real parts the tests start (Chromium,
# coturn, clang for the fuzzers, kcat, playwright-core and s3rver from npm).
set -euo pipefail
what=${1:-run}
here=$(cd "$(dirname "$0")/.." && pwd)

run_pkgs=(meson ninja-build pkg-config gcc make
  libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  libgstreamer-plugins-bad1.0-dev gstreamer1.0-tools gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly
  gstreamer1.0-libav gstreamer1.0-nice libnice-dev libsoup-3.0-dev
  libjson-glib-dev libjwt-dev libsqlite3-dev librdkafka-dev libcurl4-openssl-dev)
test_pkgs=(clang libclang-rt-14-dev chromium coturn iproute2 util-linux jq procps kcat
  gstreamer1.0-plugins-base-apps)

pkgs=("${run_pkgs[@]}")
if [ "$what" = test ]; then
  pkgs+=("${test_pkgs[@]}")
  # Node may come from another packaging (nodesource's nodejs bundles npm and
  # conflicts with Debian's npm): ask for the commands, not the packages.
  command -v node >/dev/null || pkgs+=(nodejs)
  command -v npm >/dev/null || pkgs+=(npm)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ "$what" = test ] && { [ ! -d "$here/tests/e2e/browser/node_modules/playwright-core" ] ||
    [ ! -d "$here/tests/e2e/browser/node_modules/s3rver" ]; }; then
  echo "deps: installing playwright-core and s3rver (npm)"
  (cd "$here/tests/e2e/browser" && npm install --no-audit --no-fund --silent)
fi
