#!/usr/bin/env bash
# Sets eddy up on a fresh Debian 12 machine (as root, or a user with sudo), then either starts it
# or runs the whole test suite:
#
#   ./scripts/setup.sh run [eddy flags...]   install what is missing, build, start eddy on ./data
#   ./scripts/setup.sh test                  install what is missing, build, run every test:
#                                            plain, under ASan+UBSan, and under TSan
set -euo pipefail

cd "$(dirname "$0")/.."
mode="${1:-}"
shift || true

packages=(
  g++ cmake make ccache git clang-format
  libboost1.81-dev libboost-json1.81-dev
  libconcurrentqueue-dev libxxhash-dev robin-map-dev
  libflatbuffers-dev flatbuffers-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev zlib1g-dev libtomlplusplus-dev
  libphonenumber8 libprotobuf-dev libabsl-dev  # with the headers of install_phonenumber_headers
  curl  # bench/load scripts ask eddy for checkpoints and metrics
)

# Only the test suite needs these: promtool (in Debian's prometheus package) checks the /metrics
# text format. On a machine running systemd the package also starts a Prometheus service on :9090.
test_packages=(prometheus)

install_missing() {
  local missing=()
  for p in "${packages[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# libphonenumber's headers. Debian 12's libphonenumber-dev cannot be installed here: it depends on
# libboost-thread-dev, which is Boost 1.74 and conflicts with the Boost 1.81 eddy builds with. The
# library itself is built without Boost (it uses pthreads), so the package's headers are unpacked
# into /usr/local instead, beside the runtime library libphonenumber8 that apt installs.
install_phonenumber_headers() {
  [ -f /usr/include/phonenumbers/phonenumberutil.h ] && return 0
  [ -f /usr/local/include/phonenumbers/phonenumberutil.h ] && return 0
  echo "setup: unpacking libphonenumber-dev's headers into /usr/local/include"
  local sudo="" tmp
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  tmp=$(mktemp -d)
  # A fresh machine may have no package lists yet.
  (cd "$tmp" && { apt-get download -qq libphonenumber-dev 2>/dev/null ||
    { $sudo apt-get update -qq && apt-get download -qq libphonenumber-dev; }; })
  dpkg-deb -x "$tmp"/libphonenumber-dev_*.deb "$tmp/root"
  $sudo cp -r "$tmp/root/usr/include/phonenumbers" /usr/local/include/
  rm -rf "$tmp"
}

jobs=$(nproc)
# Lets ccache reuse objects across checkouts in different folders (CI clones afresh each run).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true

# build DIR [cmake args...]
build() {
  local dir="$1"
  shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

# check DIR: runs the suite of one build, failing on the first red test.
check() {
  local dir="$1"
  echo "setup: testing $dir"
  (cd "$dir" && ctest -j "$jobs" --output-on-failure --timeout 600)
}

check_format() {
  local files
  files=$(git ls-files '*.h' '*.cc' 2>/dev/null || true)
  [ -z "$files" ] && return 0
  # shellcheck disable=SC2086
  clang-format --dry-run --Werror $files
}

case "$mode" in
  run)
    install_missing
    install_phonenumber_headers
    build build
    mkdir -p data
    exec ./build/topologies/eddy --data-dir ./data "$@"
    ;;
  test)
    install_missing "${test_packages[@]}"
    install_phonenumber_headers
    check_format
    build build
    check build
    # Sanitised builds skip the benchmarks: they measure nothing there.
    build build-asan -DEDDY_SANITIZE="address;undefined" -DEDDY_BUILD_BENCH=OFF
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 check build-asan
    build build-tsan -DEDDY_SANITIZE=thread -DEDDY_BUILD_BENCH=OFF
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 check build-tsan
    echo "setup: every suite passed (plain, ASan+UBSan, TSan)"
    ;;
  *)
    echo "usage: $0 run [eddy flags...] | test" >&2
    exit 2
    ;;
esac
