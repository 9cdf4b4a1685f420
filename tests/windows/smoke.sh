#!/usr/bin/env bash
# The Windows binary under Wine on real notes.ini files (issue 15): for each corpus file, two
# profiles stacked and reverted in the other order must give back the file byte for byte. Run
# through tests/windows/wine.sh, which sets Wine up. Usage: smoke.sh PATH/TO/dbgini.exe
set -euo pipefail
exe=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
# dbgini's messages go to a log, shown when something fails.
trap 'rc=$?; if [ $rc != 0 ]; then echo "windows smoke: failed; dbgini said:"; tail -n 20 "$work/stderr.log"; fi; rm -rf "$work"' EXIT
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

# Detection: a running nserver.exe whose program directory holds the notes.ini makes dbgini use the
# console and refuse to edit the file; once it has stopped, the file is edited again. (The stand-in
# server is dbgini.exe itself, renamed, idling in `watch` on another notes.ini.)
prog="$work/Domino Program"
mkdir -p "$prog" "$work/other"
cp "$exe" "$prog/nserver.exe"
cp "$root/samples/notes.ini" "$prog/notes.ini"
cp "$root/samples/notes.ini" "$work/other/notes.ini"
(cd "$prog" && exec /usr/lib/wine/wine64 "$prog/nserver.exe" --ini "$(win "$work/other/notes.ini")" --mode file -q watch --poll 3600 2>>"$work/stderr.log") &
server=$!
# (status exits 1 with findings, such as this copy's data directory not being on this machine.)
mode() { { wine --json --ini "$(win "$prog/notes.ini")" status || true; } | sed -n 's/.*"mode":"\([a-z]*\)".*/\1/p'; }
# Wait for the stand-in to be in the process table (bounded: 100 looks).
for _ in $(seq 100); do [ "$(mode)" = console ] && break; sleep 0.1; done
[ "$(mode)" = console ] || { echo "windows smoke: a running nserver.exe was not detected"; exit 1; }
set +e
wine --ini "$(win "$prog/notes.ini")" --mode file -q enable router --for 1h
rc=$?
set -e
[ $rc = 3 ] || { echo "windows smoke: --mode file on a running server exited $rc, not 3"; exit 1; }
cmp -s "$root/samples/notes.ini" "$prog/notes.ini" || { echo "windows smoke: the running server's notes.ini was edited"; exit 1; }
kill "$server"; wait "$server" 2>/dev/null || true
for _ in $(seq 100); do [ "$(mode)" = file ] && break; sleep 0.1; done
[ "$(mode)" = file ] || { echo "windows smoke: a stopped server was still detected"; exit 1; }
echo "windows smoke: detection of nserver.exe passed"

# Replacing a notes.ini that another program holds open without FILE_SHARE_DELETE (as a running
# server may) fails: notes.ini and dbgini's state stay as they were, the message says why and what
# to do, and once the file is free the same command works.
held="$work/held"
mkdir -p "$held"
cp "$root/samples/notes.ini" "$held/notes.ini"
x86_64-w64-mingw32-gcc -municode -O2 -o "$work/holdopen.exe" "$root/tests/windows/holdopen.c"
/usr/lib/wine/wine64 "$work/holdopen.exe" "$(win "$held/notes.ini")" > "$work/hold.out" 2>>"$work/stderr.log" &
holder=$!
for _ in $(seq 100); do grep -q open "$work/hold.out" 2>/dev/null && break; sleep 0.1; done
grep -q open "$work/hold.out" || { echo "windows smoke: holdopen.exe did not open the file"; exit 1; }
set +e
/usr/lib/wine/wine64 "$exe" --ini "$(win "$held/notes.ini")" --mode file enable router --for 1h 2>"$work/held.err"
rc=$?
set -e
kill "$holder"; wait "$holder" 2>/dev/null || true
[ $rc = 3 ] || { echo "windows smoke: replacing a held notes.ini exited $rc, not 3"; cat "$work/held.err"; exit 1; }
grep -q "not let it be replaced" "$work/held.err" || { echo "windows smoke: the sharing violation was not explained:"; cat "$work/held.err"; exit 1; }
cmp "$root/samples/notes.ini" "$held/notes.ini" || { echo "windows smoke: the held notes.ini was changed"; exit 1; }
leases=$({ wine --json --ini "$(win "$held/notes.ini")" status || true; } | sed -n 's/.*"leases":\(\[[^]]*\]\).*/\1/p')
[ "$leases" = "[]" ] || { echo "windows smoke: a lease was recorded for a change that failed: $leases"; exit 1; }
wine --ini "$(win "$held/notes.ini")" --mode file -q enable router --for 1h
wine --ini "$(win "$held/notes.ini")" --mode file -q revert router
cmp "$root/samples/notes.ini" "$held/notes.ini"
echo "windows smoke: a held notes.ini is left as it was, and explained"

# Windows defaults: the notes.ini of a default install, the console command in its program
# directory, the machine's registry and the site config under %ProgramData%.
domino="$WINEPREFIX/drive_c/Program Files/HCL/Domino"
rm -rf "$domino"
mkdir -p "$domino"
cp "$root/samples/notes.ini" "$domino/notes.ini"
ini=$({ DBGINI_REGISTRY= wine --json status || true; } | sed -n 's/.*"ini":"\([^"]*\)".*/\1/p')
[ "$ini" = 'C:\\Program Files\\HCL\\Domino\\notes.ini' ] || { echo "windows smoke: the default notes.ini was not found ($ini)"; exit 1; }
set +e
/usr/lib/wine/wine64 "$exe" --mode console enable router --for 1h 2>"$work/console.err"
rc=$?
set -e
grep -q 'C:\\Program Files\\HCL\\Domino\\nserver.exe' "$work/console.err" || { echo "windows smoke: the default console command is not nserver.exe:"; cat "$work/console.err"; exit 1; }
cmp "$root/samples/notes.ini" "$domino/notes.ini"
# (What the failed console run recorded as unconfirmed is let go.)
wine --mode file -q revert --all
# The registry for the machine, which the SYSTEM task reads.
(unset DBGINI_REGISTRY; /usr/lib/wine/wine64 "$exe" --mode file -q enable router --for 1h 2>>"$work/stderr.log")
ls "$WINEPREFIX/drive_c/ProgramData/dbgini/targets/"*.target >/dev/null 2>&1 || { echo "windows smoke: no registry entry in %ProgramData%\\dbgini\\targets"; exit 1; }
(unset DBGINI_REGISTRY; /usr/lib/wine/wine64 "$exe" --mode file -q revert router 2>>"$work/stderr.log")
cmp "$root/samples/notes.ini" "$domino/notes.ini"
# The site config: its max_duration applies.
mkdir -p "$WINEPREFIX/drive_c/ProgramData/dbgini"
printf 'max_duration = "1h"\n' > "$WINEPREFIX/drive_c/ProgramData/dbgini/config.toml"
set +e
/usr/lib/wine/wine64 "$exe" --mode file enable router --for 2h 2>"$work/site.err"
rc=$?
set -e
rm -f "$WINEPREFIX/drive_c/ProgramData/dbgini/config.toml"
rm -rf "$domino"
[ $rc = 2 ] && grep -q "global maximum (config max_duration) of 1h" "$work/site.err" || { echo "windows smoke: the site config was not read (exit $rc):"; cat "$work/site.err"; exit 1; }
echo "windows smoke: default notes.ini, console command, registry and site config passed"
