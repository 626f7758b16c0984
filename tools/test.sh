#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test.
#   tools/test.sh           RelWithDebInfo build (preset "default")
#   tools/test.sh --asan    AddressSanitizer + UndefinedBehaviorSanitizer build
# Extra arguments after "--" go to ctest (e.g. -- -R eventstore).
set -euo pipefail
cd "$(dirname "$0")/.."

preset=default
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --asan) preset=asan ;;
    --) shift; ctest_args=("$@"); break ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

bash tools/install-deps.sh
jobs=$(nproc)
cmake --preset "$preset"
cmake --build --preset "$preset" -j "$jobs"
ctest --preset "$preset" -j "$jobs" "${ctest_args[@]}"
