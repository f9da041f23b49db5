#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Fetches Debian bookworm's arm64 library packages that the static aarch64
# build of sysstream links (and the arm64 busybox-static its kernel-matrix
# initramfs runs), and unpacks them into a cache dir. Used by the
# @system_arm64 repository rule (third_party/repositories.bzl); also by hand.
#
#   third_party/toolchains/arm64/fetch-sysroot.sh [--refresh]
#
# Prints the unpacked root (holding usr/include, usr/lib/aarch64-linux-gnu,
# bin/busybox) on stdout. Progress and errors go to stderr.
#
# Nothing is installed on this machine: a private apt configuration (own
# sources list, lists, cache, empty dpkg status, APT::Architectures=arm64) and
# `apt-get download` (signatures checked against debian-archive-keyring),
# then `dpkg-deb -x`. No `dpkg --add-architecture`. The C library and
# libstdc++ come from the cross toolchain packages instead
# (g++-aarch64-linux-gnu, libc6-dev-arm64-cross; tools/setup.sh).
# Each package is taken at the version installed on this machine for amd64
# when the mirror has it (same headers on both architectures), else the
# candidate of bookworm + bookworm-updates + bookworm-security.
#
# Environment:
#   SYSSTREAM_ARM64_SYSROOT  cache dir (default /var/cache/sysstream-arm64-sysroot)
#   SYSSTREAM_VM_MIRROR      Debian mirror (default: the one this machine's apt
#                            uses, else http://deb.debian.org/debian)
# Exit status: 0 ready; 2 usage; 3 not cached and not downloadable (offline);
# 4 apt or dpkg-deb failed otherwise.
set -euo pipefail

readonly EXIT_USAGE=2 EXIT_NEED_NETWORK=3 EXIT_BAD_PACKAGE=4
PACKAGES=(libbpf-dev libelf-dev zlib1g-dev libabsl-dev
          libgtest-dev libgmock-dev busybox-static)

cache=${SYSSTREAM_ARM64_SYSROOT:-/var/cache/sysstream-arm64-sysroot}
refresh=0
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
for a in "$@"; do
  case "$a" in
    --refresh) refresh=1 ;;
    -h|--help) sed -n '3,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch-sysroot: unknown argument: $a" >&2; exit $EXIT_USAGE ;;
  esac
done
log() { echo "fetch-sysroot: $*" >&2; }

detect_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list \
           /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    case "$f" in
      *.sources) uri=$(sed -n 's/^URIs:[[:space:]]*//p' "$f" | tr ' ' '\n') ;;
      *) uri=$(sed -n 's/^[[:space:]]*deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]\+\).*/\2/p' "$f") ;;
    esac
    uri=$(grep -E '^(https?|ftp)://[^ ]*/debian/?$' <<<"$uri" | head -1 || true)
    if [ -n "$uri" ]; then echo "${uri%/}"; return; fi
  done
  echo http://deb.debian.org/debian
}
mirror=${SYSSTREAM_VM_MIRROR:-$(detect_mirror)}
mirror=${mirror%/}

root=$cache/root
# The package list is part of the cache key: a changed list refetches.
want_key=$(printf '%s\n' "${PACKAGES[@]}" | sha256sum | cut -c1-16)
if [ "$refresh" != 1 ] && [ -s "$root/.manifest" ] &&
   [ "$(sed -n 's/^key=//p' "$root/.manifest")" = "$want_key" ]; then
  echo "$root"
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
if command -v flock >/dev/null; then flock 9; fi

apt_private() {
  local tool=$1 dir=$2
  shift 2
  "$tool" -q \
    -o Dir::Etc::SourceList="$dir/sources.list" \
    -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::Etc::Preferences=/dev/null \
    -o Dir::Etc::PreferencesParts=/dev/null \
    -o Dir::State::Lists="$dir/lists" \
    -o Dir::Cache="$dir/cache" \
    -o Dir::State::status="$dir/status" \
    -o APT::Architectures::=arm64 \
    -o APT::Architecture=arm64 \
    -o Acquire::Languages=none \
    -o Acquire::Retries=2 \
    -o Acquire::http::Timeout=20 \
    -o Debug::NoLocking=1 \
    "$@"
}

need_network() {
  log "cannot download the arm64 sysroot packages from $mirror ($1)."
  log "needs: network access to $mirror/dists/bookworm/ (main, arm64), or a"
  log "       cache filled earlier in $root (run this script once online;"
  log "       set SYSSTREAM_ARM64_SYSROOT / SYSSTREAM_VM_MIRROR to relocate)."
}

work=$(mktemp -d "$cache/tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"  # apt's _apt download sandbox must reach it
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/deb" "$work/root"
: >"$work/status"
security=${mirror%/debian}/debian-security
{
  echo "deb [signed-by=$keyring] $mirror bookworm main"
  echo "deb [signed-by=$keyring] $mirror bookworm-updates main"
  echo "deb [signed-by=$keyring] $security bookworm-security main"
} >"$work/sources.list"

log "apt-get update (bookworm arm64, private state, $mirror)"
out=$(apt_private apt-get "$work" update 2>&1) || true
if ! ls "$work"/lists/*_bookworm_main_binary-arm64_Packages* >/dev/null 2>&1; then
  need_network "$(grep -E '^(E:|W: Failed|Err:)' <<<"$out" | head -2 | tr '\n' ' ')"
  exit $EXIT_NEED_NETWORK
fi

specs=()
for p in "${PACKAGES[@]}"; do
  # The amd64 version installed here, if the arm64 index has it too.
  v=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)
  if [ -n "$v" ] && apt_private apt-cache "$work" show "$p=$v" >/dev/null 2>&1; then
    specs+=("$p=$v")
  else
    specs+=("$p")
  fi
done
log "apt-get download ${specs[*]}"
if ! out=$(cd "$work/deb" && apt_private apt-get "$work" download "${specs[@]}" 2>&1); then
  need_network "$(grep -E '^(E:|W: Failed|Err:)' <<<"$out" | head -2 | tr '\n' ' ')"
  exit $EXIT_NEED_NETWORK
fi
for deb in "$work"/deb/*.deb; do
  dpkg-deb -x "$deb" "$work/root" || { log "dpkg-deb -x $deb failed"; exit $EXIT_BAD_PACKAGE; }
done
for f in usr/lib/aarch64-linux-gnu/libbpf.a usr/lib/aarch64-linux-gnu/libelf.a \
         usr/lib/aarch64-linux-gnu/libz.a usr/lib/aarch64-linux-gnu/libabsl_base.a \
         usr/lib/aarch64-linux-gnu/libgtest.a bin/busybox; do
  [ -e "$work/root/$f" ] || { log "unpacked packages lack $f"; exit $EXIT_BAD_PACKAGE; }
done
{
  echo "key=$want_key"
  echo "mirror=$mirror"
  echo "fetched=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  (cd "$work/deb" && for d in *.deb; do echo "deb=$d $(sha256sum "$d" | cut -d' ' -f1)"; done)
} >"$work/root/.manifest"
rm -rf "$root.old"
[ -d "$root" ] && mv "$root" "$root.old"
mv "$work/root" "$root"
rm -rf "$root.old"
log "ready: $root ($(du -sh "$root" | cut -f1))"
echo "$root"
