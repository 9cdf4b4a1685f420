#!/usr/bin/env bash
# Release artefacts in target/dist/, from a clean checkout, without a Rust toolchain on the server
# that installs them:
#   dbgini-<version>-x86_64-linux-musl.tar.gz  the static binary, man page, completions, units, cron
#                                               file, container hook
#   dbgini_<version>-1_amd64.deb                (cargo-deb, from the static binary)
#   dbgini-<version>-1.x86_64.rpm               (cargo-generate-rpm, from the static binary)
#   dbgini-<version>-x86_64-windows.zip         dbgini.exe (x86_64-pc-windows-gnu, mingw-w64; no
#                                               DLL beyond Windows' own), README, LICENSE, the
#                                               PowerShell completion
#   SHA256SUMS
# A shell script rather than a cargo xtask: every step is one command of a packaging tool
# (rustup, cargo-deb, cargo-generate-rpm, tar, python3's zipfile, sha256sum), and a script shows
# them as they are. The Windows build is linked by mingw-w64 and its completion made under Wine
# (tests/windows/wine.sh installs both).
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-unknown-linux-musl
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
dist=target/dist
stage=$dist/stage
name=dbgini-$version-x86_64-linux-musl

rustup target add "$target" >/dev/null 2>&1 || rustup target add "$target"
for tool in cargo-deb cargo-generate-rpm; do
  command -v "$tool" >/dev/null 2>&1 || cargo install "$tool" --locked --quiet
done

# The static binary: the dependency tree has no C code, so the musl target links it alone.
cargo build --release --locked --target "$target"
bin=target/$target/release/dbgini

rm -rf "$dist"
mkdir -p "$stage/completions" "$stage/systemd" "$stage/cron"
"$bin" man > "$stage/dbgini.1"
gzip -9n < "$stage/dbgini.1" > "$stage/dbgini.1.gz"
"$bin" completions bash > "$stage/completions/dbgini.bash"
"$bin" completions zsh > "$stage/completions/_dbgini"
"$bin" completions fish > "$stage/completions/dbgini.fish"
# The units as the package installs them: the binary is /usr/bin/dbgini.
for f in dbgini-expire.service dbgini-expire.timer; do
  sed 's#/usr/local/bin/dbgini#/usr/bin/dbgini#g' "contrib/systemd/$f" > "$stage/systemd/$f"
done
mkdir -p "$stage/systemd/domino.service.d"
sed 's#/usr/local/bin/dbgini#/usr/bin/dbgini#g' contrib/systemd/domino.service.d/dbgini-expire.conf \
  > "$stage/systemd/domino.service.d/dbgini-expire.conf"
sed 's#/usr/local/bin/dbgini#/usr/bin/dbgini#g' contrib/cron/dbgini-expire > "$stage/cron/dbgini-expire"
mkdir -p "$stage/container"
cp contrib/container/before_server_start.sh "$stage/container/"

# The tarball: one folder, the binary at its top.
tree=$dist/$name
mkdir -p "$tree"
cp "$bin" "$tree/dbgini"
cp "$stage/dbgini.1" README.md LICENSE "$tree/"
cp -r "$stage/completions" "$stage/systemd" "$stage/cron" "$stage/container" "$tree/"
tar -C "$dist" --owner=0 --group=0 --numeric-owner -czf "$dist/$name.tar.gz" "$name"
rm -rf "$tree"

cargo deb --no-build --target "$target" --output "$dist/" >/dev/null
cargo generate-rpm --target "$target" --output "$dist/" >/dev/null

# The Windows zip: one folder, dbgini.exe at its top (copy it to C:\Program Files\dbgini).
wintarget=x86_64-pc-windows-gnu
winname=dbgini-$version-x86_64-windows
bash tests/windows/wine.sh cargo build --release --locked --target "$wintarget"
wintree=$dist/$winname
mkdir -p "$wintree/completions"
cp "target/$wintarget/release/dbgini.exe" README.md LICENSE "$wintree/"
bash tests/windows/wine.sh /usr/lib/wine/wine64 "$wintree/dbgini.exe" completions powershell \
  > "$wintree/completions/dbgini.ps1"
(cd "$dist" && python3 -m zipfile -c "$winname.zip" "$winname")
rm -rf "$wintree"

(cd "$dist" && sha256sum -- *.tar.gz *.deb *.rpm *.zip > SHA256SUMS)
echo "built in $dist:"
(cd "$dist" && ls -l -- *.tar.gz *.deb *.rpm *.zip SHA256SUMS)
