#!/usr/bin/env bash
# `make bundle-test`: installs the .deb that `make bundle` wrote on this machine (apt resolves
# its dependencies), checks every file it ships is in place, drives the INSTALLED binary through
# WebDriver (tests/e2e_home.rs with ASTRO_IDENTITY_APP pointing at it), uninstalls it and checks
# every file is gone. Then reads the .rpm's metadata and file list with `rpm`.
# Usage: bundle-test.sh BUNDLE_DIR RELEASE_BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
bundle_dir=$1 release_binary=$2

one_file() { # the single file matching a glob, or fail
  local matches=("$@")
  if [ ${#matches[@]} -ne 1 ] || [ ! -f "${matches[0]}" ]; then
    echo "error: expected exactly one file, found: ${matches[*]} (run \`make bundle\`)" >&2
    exit 1
  fi
  realpath "${matches[0]}"
}
deb=$(one_file "$bundle_dir"/deb/*.deb)
rpm=$(one_file "$bundle_dir"/rpm/*.rpm)
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
fail() { echo "bundle-test: FAILED: $*" >&2; exit 1; }

version=$(python3 -c 'import json; print(json.load(open("src-tauri/tauri.conf.json"))["version"])')
package=$(dpkg-deb -f "$deb" Package)
echo "== $deb"
dpkg-deb -f "$deb" Package Version Architecture Installed-Size Depends Section Description
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "the .deb's version is not $version"

if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
  fail "$package is already installed here; remove it first ($sudo apt-get remove -y $package)"
fi

# Every regular file and symlink the package ships, as absolute paths.
# (`dpkg-deb -c` prints "perms owner size date time path"; paths may hold spaces.)
mapfile -t files < <(dpkg-deb -c "$deb" | grep -E '^[-l]' |
  sed -E 's/^([^ ]+ +){5}//; s/ -> .*$//; s|^\./|/|; s|^([^/])|/\1|')
((${#files[@]})) || fail "the .deb ships no files"
binary=/usr/bin/$package
desktop=$(printf '%s\n' "${files[@]}" | grep '^/usr/share/applications/.*\.desktop$' || true)
icons=$(printf '%s\n' "${files[@]}" | grep -c '^/usr/share/icons/hicolor/.*/apps/' || true)
printf '%s\n' "${files[@]}" | grep -qx "$binary" || fail "the .deb has no $binary"
[ -n "$desktop" ] || fail "the .deb has no desktop entry"
[ "$icons" -ge 3 ] || fail "the .deb has $icons icons, expected at least 3"

installed=0
cleanup() {
  if [ "$installed" = 1 ]; then
    echo "== removing $package after a failure"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq "$package" >/dev/null || true
  fi
}
trap cleanup EXIT

echo "== apt-get install $deb"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb"
installed=1
for f in "${files[@]}"; do
  [ -e "$f" ] || fail "$f is missing after the install"
done
# Tauri stamps the bundle type into the binary it packs, so the installed one differs from
# $release_binary by that stamp alone: compare sizes, and make sure the package owns it.
[ "$(stat -c %s "$binary")" = "$(stat -c %s "$release_binary")" ] || fail "$binary is not the release build $release_binary"
[ "$(dpkg-query -S "$binary" | cut -d: -f1)" = "$package" ] || fail "$binary does not belong to $package"
grep -qx "Exec=$package" "$desktop" || fail "$desktop does not start $package: $(grep ^Exec= "$desktop")"
if command -v desktop-file-validate >/dev/null; then desktop-file-validate "$desktop"; fi
echo "installed: $binary, $desktop, $icons icons"

echo "== end to end against the installed binary (tests/e2e_home.rs)"
ASTRO_IDENTITY_APP=$binary cargo nextest run --test e2e_home --no-fail-fast

echo "== apt-get remove $package"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq "$package" >/dev/null
installed=0
if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
  fail "$package is still installed"
fi
for f in "${files[@]}"; do
  [ ! -e "$f" ] && [ ! -L "$f" ] || fail "$f is still there after the removal"
done
echo "removed: none of the ${#files[@]} files it installed is left"

echo "== $rpm"
if ! command -v rpm >/dev/null; then
  echo "Installing rpm (to read the .rpm's metadata)"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rpm >/dev/null
fi
rpm -qip "$rpm" 2>/dev/null
[ "$(rpm -qp --qf '%{NAME}' "$rpm" 2>/dev/null)" = "$package" ] || fail "the .rpm is not named $package"
[ "$(rpm -qp --qf '%{VERSION}' "$rpm" 2>/dev/null)" = "$version" ] || fail "the .rpm's version is not $version"
rpm_files=$(rpm -qlp "$rpm" 2>/dev/null)
for f in "$binary" "$desktop"; do
  grep -qx "$f" <<<"$rpm_files" || fail "the .rpm lacks $f"
done
[ "$(grep -c '^/usr/share/icons/hicolor/.*/apps/' <<<"$rpm_files")" -ge 3 ] || fail "the .rpm lacks icons"
echo "requires: $(rpm -qpR "$rpm" 2>/dev/null | grep -v '^rpmlib(' | tr '\n' ' ')"
echo "bundle-test: the .deb installed, ran, and uninstalled cleanly; the .rpm's metadata is right"
