#!/usr/bin/env bash
# Checks the artefacts dist/build.sh made (run by .ci/run, as root):
# - the musl binary is static and does a full enable/revert of a corpus file in an empty chroot;
# - the .deb and .rpm hold exactly the expected paths; the .deb installs and uninstalls cleanly
#   with dpkg --root, and systemd-analyze verifies its units;
# - the Windows zip holds exactly dbgini.exe, README, LICENSE and the PowerShell completion;
#   dbgini.exe needs no DLL beyond Windows' own, and under Wine stacks and reverts two profiles on
#   a CRLF corpus file byte for byte;
# - SHA256SUMS verifies.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
dist=target/dist
name=dbgini-$version-x86_64-linux-musl
fail() { echo "dist check: FAILED: $*" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Checksums first: everything below looks at the files they cover.
(cd "$dist" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not verify"

# Static: no program interpreter, no shared library needed.
tar -C "$work" -xzf "$dist/$name.tar.gz"
bin=$work/$name/dbgini
readelf -l "$bin" | grep -q 'INTERP' && fail "the binary asks for a program interpreter"
readelf -d "$bin" | grep -q 'NEEDED' && fail "the binary needs shared libraries"
for f in dbgini dbgini.1 README.md LICENSE completions/dbgini.bash completions/_dbgini \
  completions/dbgini.fish systemd/dbgini-expire.service systemd/dbgini-expire.timer \
  systemd/domino.service.d/dbgini-expire.conf cron/dbgini-expire container/before_server_start.sh; do
  [ -f "$work/$name/$f" ] || fail "the tarball lacks $f"
done

# An empty chroot: only the binary and the file it works on (no /proc, /etc, /tmp, libraries).
root=$work/chroot
mkdir -p "$root"
cp "$bin" "$root/dbgini"
cp tests/fixtures/corpus/quirks/prod-windows-crlf.ini "$root/notes.ini"
chroot_bin=$(command -v chroot)
in_root() { env -i HOME=/ "$chroot_bin" "$root" /dbgini "$@"; }
in_root --version | grep -q "^dbgini $version" || fail "--version in the chroot"
in_root --ini /notes.ini --mode file enable router --for 1h >/dev/null 2>&1 || fail "enable in the chroot"
cmp -s "$root/notes.ini" tests/fixtures/corpus/quirks/prod-windows-crlf.ini && fail "enable changed nothing"
in_root --ini /notes.ini --mode file enable smtp-inbound --for 1h >/dev/null 2>&1 || fail "second enable in the chroot"
in_root --ini /notes.ini --mode file revert --all >/dev/null 2>&1 || fail "revert in the chroot"
cmp -s "$root/notes.ini" tests/fixtures/corpus/quirks/prod-windows-crlf.ini || fail "the chroot round trip is not byte-identical"

# The packages: exactly these paths.
deb=$(ls "$dist"/*.deb)
rpm=$(ls "$dist"/*.rpm)
expected="/usr/bin/dbgini
/usr/lib/systemd/system/dbgini-expire.service
/usr/lib/systemd/system/dbgini-expire.timer
/usr/share/bash-completion/completions/dbgini
/usr/share/doc/dbgini/README.md
/usr/share/doc/dbgini/copyright
/usr/share/doc/dbgini/examples/container/before_server_start.sh
/usr/share/doc/dbgini/examples/cron.d/dbgini-expire
/usr/share/doc/dbgini/examples/domino.service.d/dbgini-expire.conf
/usr/share/fish/vendor_completions.d/dbgini.fish
/usr/share/man/man1/dbgini.1.gz
/usr/share/zsh/vendor-completions/_dbgini"
got=$(dpkg-deb --contents "$deb" | awk '{print $NF}' | sed 's#^\./#/#' | grep -v '/$' | sort)
[ "$got" = "$expected" ] || fail "the .deb holds:
$got
expected:
$expected"
expected_rpm="/usr/bin/dbgini
/usr/lib/systemd/system/dbgini-expire.service
/usr/lib/systemd/system/dbgini-expire.timer
/usr/share/bash-completion/completions/dbgini
/usr/share/doc/dbgini/README.md
/usr/share/doc/dbgini/examples/container/before_server_start.sh
/usr/share/doc/dbgini/examples/cron.d/dbgini-expire
/usr/share/doc/dbgini/examples/domino.service.d/dbgini-expire.conf
/usr/share/fish/vendor_completions.d/dbgini.fish
/usr/share/licenses/dbgini/LICENSE
/usr/share/man/man1/dbgini.1.gz
/usr/share/zsh/site-functions/_dbgini"
got=$(rpm -qlp "$rpm" 2>/dev/null | sort)
[ "$got" = "$expected_rpm" ] || fail "the .rpm holds:
$got
expected:
$expected_rpm"
rpm -qp --requires "$rpm" 2>/dev/null | grep -qv '^rpmlib(' && fail "the .rpm requires something: $(rpm -qp --requires "$rpm")"
dpkg-deb --field "$deb" Depends | grep -q . && fail "the .deb depends on something"

# Install into an empty dpkg root, verify the units, uninstall: nothing of it is left.
droot=$work/dpkg
mkdir -p "$droot/var/lib/dpkg/info" "$droot/var/lib/dpkg/updates"
touch "$droot/var/lib/dpkg/status"
dpkg --root="$droot" --log=/dev/null --force-script-chrootless -i "$deb" >/dev/null || fail "dpkg -i"
[ -x "$droot/usr/bin/dbgini" ] || fail "dpkg did not install /usr/bin/dbgini"
grep -q '^ExecStart=/usr/bin/dbgini ' "$droot/usr/lib/systemd/system/dbgini-expire.service" || fail "the service does not call /usr/bin/dbgini"
[ -e "$droot/etc/systemd/system/timers.target.wants/dbgini-expire.timer" ] && fail "the timer was enabled on install"
# The units as installed, their commands looked up in the dpkg root (the units they depend on,
# such as sysinit.target, are the system's and not in that root). A warning fails too.
verify=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no --recursive-errors=no \
  --root="$droot" /usr/lib/systemd/system/dbgini-expire.service \
  /usr/lib/systemd/system/dbgini-expire.timer 2>&1) || fail "systemd-analyze verify: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify: $verify"
dpkg --root="$droot" --log=/dev/null --force-script-chrootless -r dbgini >/dev/null || fail "dpkg -r"
left=$(find "$droot" -mindepth 1 -not -path "$droot/var" -not -path "$droot/var/lib" -not -path "$droot/var/lib/dpkg*" | sort)
[ -z "$left" ] || fail "dpkg -r left: $left"
# The Windows zip.
winname=dbgini-$version-x86_64-windows
python3 -m zipfile -e "$dist/$winname.zip" "$work/win"
got=$(cd "$work/win" && find . -type f | sed 's#^\./##' | sort)
expected="$winname/LICENSE
$winname/README.md
$winname/completions/dbgini.ps1
$winname/dbgini.exe"
[ "$got" = "$expected" ] || fail "the Windows zip holds:
$got
expected:
$expected"
grep -q 'Register-ArgumentCompleter' "$work/win/$winname/completions/dbgini.ps1" || fail "the PowerShell completion"
exe=$work/win/$winname/dbgini.exe
# Only DLLs every Windows has (no libgcc, no libwinpthread to ship beside it).
dlls=$(x86_64-w64-mingw32-objdump -p "$exe" | sed -n 's/^\s*DLL Name: //p' | tr 'A-Z' 'a-z' | sort -u)
for d in $dlls; do
  case $d in
    kernel32.dll | ntdll.dll | advapi32.dll | bcryptprimitives.dll | ws2_32.dll | userenv.dll | \
      msvcrt.dll | shell32.dll | ole32.dll | oleaut32.dll | combase.dll | secur32.dll | psapi.dll | pdh.dll | \
      powrprof.dll | iphlpapi.dll | netapi32.dll | api-ms-win-*.dll) ;;
    *) fail "dbgini.exe needs $d, which Windows does not have" ;;
  esac
done
cp tests/fixtures/corpus/quirks/prod-windows-crlf.ini "$work/win/notes.ini"
win() { DBGINI_REGISTRY="Z:$work/win/registry" bash tests/windows/wine.sh /usr/lib/wine/wine64 "$exe" --ini "Z:$work/win/notes.ini" --mode file "$@" >/dev/null 2>&1; }
win enable router --for 1h || fail "enable with dbgini.exe"
win enable smtp-inbound --for 1h || fail "second enable with dbgini.exe"
cmp -s "$work/win/notes.ini" tests/fixtures/corpus/quirks/prod-windows-crlf.ini && fail "dbgini.exe changed nothing"
win revert --all || fail "revert with dbgini.exe"
cmp -s "$work/win/notes.ini" tests/fixtures/corpus/quirks/prod-windows-crlf.ini || fail "the dbgini.exe round trip is not byte-identical"

echo "dist check: static binary, chroot round trip, .deb and .rpm contents, dpkg install and removal, units, Windows zip (contents, DLLs, round trip under Wine), SHA256SUMS: all good"
