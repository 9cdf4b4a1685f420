#!/usr/bin/env bash
# Runs a command with the Windows target set up to run under Wine (issue 15): installs mingw-w64,
# Wine (Debian's) and the Rust target when missing, makes a Wine prefix with the ProcessPrng shim
# (processprng.c: Wine 8 lacks it, and Rust programs need it to start), and points cargo's linker
# and runner for x86_64-pc-windows-gnu at them. Usage: tests/windows/wine.sh COMMAND [ARGS...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
need=()
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || need+=(gcc-mingw-w64-x86-64)
[ -x /usr/lib/wine/wine64 ] || need+=(wine64)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
rustup target list --installed | grep -qx x86_64-pc-windows-gnu || rustup target add x86_64-pc-windows-gnu
export WINEPREFIX="${WINEPREFIX:-${TMPDIR:-/tmp}/dbgini-wine}" WINEDEBUG=-all
shim="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$shim" ]; then
  /usr/lib/wine/wine64 wineboot --init >/dev/null 2>&1
  x86_64-w64-mingw32-gcc -shared -O2 -o "$shim" "$here/processprng.c" "$here/processprng.def" -ladvapi32
fi
# One Wine server for the whole command: by default it exits three seconds after its last program,
# and a program that starts as it exits fails ("wine client error: recvmsg: Connection reset by
# peer"), which happened in CI between two steps of smoke.sh. Ended below.
/usr/lib/wine/wineserver -p >/dev/null 2>&1 || true
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=/usr/lib/wine/wine64
"$@"
status=$?
# The Wine server lingers a few seconds after its last program; end it so CI does not wait.
/usr/lib/wine/wineserver -k >/dev/null 2>&1 || true
exit $status
