#!/usr/bin/env bash
# The Windows binary under Wine on real notes.ini files (issue 15): for each corpus file, two
# profiles stacked and reverted in the other order must give back the file byte for byte. Run
# through tests/windows/wine.sh, which sets Wine up. Usage: smoke.sh PATH/TO/dbgini.exe
set -Eeuo pipefail
exe=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# dbgini's messages go to a log, shown when something fails.
trap 'echo "windows smoke: failed; dbgini said:"; tail -n 20 "$work/stderr.log"' ERR
wine() { /usr/lib/wine/wine64 "$exe" "$@" 2>>"$work/stderr.log"; }
win() { printf 'Z:%s' "${1//\//\\}"; }
n=0
for f in "$root"/tests/fixtures/corpus/real/*.ini "$root"/tests/fixtures/corpus/quirks/prod-*.ini; do
  ini="$work/$(basename "$f")"
  cp "$f" "$ini"
  export DBGINI_REGISTRY; DBGINI_REGISTRY=$(win "$work/registry")
  wine --ini "$(win "$ini")" --mode file -q enable router --for 1h
  wine --ini "$(win "$ini")" --mode file -q enable smtp-outbound --for 1h
  cmp -s "$f" "$ini" && { echo "windows smoke: $(basename "$f"): enable changed nothing"; exit 1; }
  wine --ini "$(win "$ini")" --mode file -q revert router
  wine --ini "$(win "$ini")" --mode file -q revert smtp-outbound
  if ! cmp "$f" "$ini"; then
    echo "windows smoke: $(basename "$f") is not byte-identical after enable, enable, revert, revert"
    tail -n 20 "$work/stderr.log"
    exit 1
  fi
  n=$((n + 1))
done
echo "windows smoke: $n passed, 0 failed"
