#!/bin/sh
# smoke.sh result|exit BENCHMARK [ARGS...]: runs one benchmark once, tiny,
# for ctest (label bench_smoke). It measures nothing; it fails when the
# benchmark exits with an error or, with `result`, when its last line is
# not its RESULT line, so that a broken benchmark fails the suite instead
# of the next round of measurements.
check=$1
shift
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
"$@" >"$out" 2>&1
status=$?
cat "$out"
if [ "$status" -ne 0 ]; then
  echo "bench smoke: $1 exited with status $status"
  exit 1
fi
if [ "$check" = result ] && ! tail -n 1 "$out" | grep -q '^RESULT '; then
  echo "bench smoke: the last line of $1 is not its RESULT line"
  exit 1
fi
