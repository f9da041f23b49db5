#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Fetches Debian amd64 (or arm64) kernels (bullseye 5.10, bookworm 6.1, trixie
# 6.12, sid newest) for the qemu kernel matrix, and caches their vmlinuz.
#
#   tools/vm/fetch-kernels.sh [--refresh] [RELEASE...]
#
# Prints one line per kernel on stdout, tab-separated:
#   RELEASE  KERNEL_RELEASE(uname -r)  PACKAGE=VERSION  /path/to/vmlinuz
# Progress and errors go to stderr.
#
# Kernels are NEVER installed on this machine: each release gets a private apt
# configuration (own sources list, lists, cache and an empty dpkg status) under
# the cache dir; `apt-get download` fetches the package (signatures and hashes
# checked against /usr/share/keyrings/debian-archive-keyring.gpg) and
# `dpkg-deb -x` unpacks it into a scratch dir from which only vmlinuz is kept.
#
# Environment:
#   SYSSTREAM_VM_CACHE    cache dir (default /var/cache/sysstream-vm)
#   SYSSTREAM_VM_MIRROR   Debian mirror (default: the one this machine's apt
#                         uses, else http://deb.debian.org/debian)
#   SYSSTREAM_VM_ARCH     Debian architecture: amd64 (default) or arm64
#   SYSSTREAM_VM_FLAVOUR  kernel flavour (default cloud-$SYSSTREAM_VM_ARCH;
#                         amd64 / arm64 also work)
#   SYSSTREAM_VM_REFRESH  1 = like --refresh: look for newer kernels even when
#                         one is cached (default: a cached kernel is used as is)
#
# Exit status: 0 all kernels available; 2 usage; 3 a kernel is not cached and
# cannot be downloaded (offline / mirror unreachable): the message says what is
# needed; 4 a package was fetched but holds no usable vmlinuz, or apt failed.
set -euo pipefail

readonly EXIT_USAGE=2 EXIT_NEED_NETWORK=3 EXIT_BAD_PACKAGE=4
ALL_RELEASES=(bullseye bookworm trixie sid)

cache=${SYSSTREAM_VM_CACHE:-/var/cache/sysstream-vm}
arch=${SYSSTREAM_VM_ARCH:-amd64}
case "$arch" in
  amd64|arm64) ;;
  *) echo "fetch-kernels: SYSSTREAM_VM_ARCH=$arch: amd64 or arm64" >&2; exit 2 ;;
esac
flavour=${SYSSTREAM_VM_FLAVOUR:-cloud-$arch}
refresh=${SYSSTREAM_VM_REFRESH:-0}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

releases=()
for a in "$@"; do
  case "$a" in
    --refresh) refresh=1 ;;
    -h|--help) sed -n '3,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    bullseye|bookworm|trixie|forky|sid) releases+=("$a") ;;
    *) echo "fetch-kernels: unknown argument: $a" >&2; exit $EXIT_USAGE ;;
  esac
done
[ ${#releases[@]} -gt 0 ] || releases=("${ALL_RELEASES[@]}")

log() { echo "fetch-kernels: $*" >&2; }

# The Debian mirror this machine's apt uses (deb822 .sources or one-line
# .list), so the matrix works wherever apt itself works.
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
    if [ -n "$uri" ]; then
      echo "${uri%/}"
      return
    fi
  done
  echo http://deb.debian.org/debian
}
mirror=${SYSSTREAM_VM_MIRROR:-$(detect_mirror)}
mirror=${mirror%/}

mkdir -p "$cache/kernels"
# One fetcher at a time per cache.
exec 9>"$cache/.lock"
if command -v flock >/dev/null; then flock 9; fi

# "RELEASE KREL PKG=VER PATH" of a cached kernel, or nothing.
cached_line() {
  local dir=$cache/kernels/$1-$flavour
  [ -s "$dir/vmlinuz" ] && [ -s "$dir/info" ] || return 0
  # shellcheck disable=SC1091,SC2154  # info sets krel, package, version
  (. "$dir/info" && printf '%s\t%s\t%s=%s\t%s\n' "$1" "$krel" "$package" \
     "$version" "$dir/vmlinuz")
}

# apt-get/apt-cache with this release's private state.
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
    -o APT::Architectures::="$arch" \
    -o APT::Architecture="$arch" \
    -o Acquire::Languages=none \
    -o Acquire::Retries=2 \
    -o Acquire::http::Timeout=20 \
    -o Debug::NoLocking=1 \
    "$@"
}

# Field $2 of package $1's candidate, from `apt-cache show`.
field() {
  apt_private apt-cache "$3" show "$1" 2>/dev/null |
    awk -v f="$2:" '$1 == f { sub(/^[^:]*:[ ]*/, ""); print; exit }'
}

# Package names in a Depends line matching a regex.
deps_matching() {
  tr ',|' '\n' <<<"$1" | sed 's/^[[:space:]]*//; s/[[:space:]].*//' |
    grep -E "$2" || true
}

need_network() {
  log "cannot download the $1 kernel from $mirror ($2)."
  log "needs: network access to $mirror/dists/$1/ (main, $arch), or a cache"
  log "       filled earlier in ${cache}/kernels/$1-$flavour (vmlinuz + info)."
  log "       Run tools/vm/fetch-kernels.sh once with network access, or"
  log "       set SYSSTREAM_VM_MIRROR / SYSSTREAM_VM_CACHE."
}

# Fetches RELEASE's newest $flavour kernel into the cache. Returns 0, or the
# exit status above.
# (Called in an `||` context, so errexit is off here: check each step.)
fetch_release() {
  local rel=$1 work=$2
  chmod 0755 "$work"  # apt's _apt download sandbox must reach it
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/deb" \
           "$work/root"
  : >"$work/status"
  echo "deb [signed-by=$keyring] $mirror $rel main" >"$work/sources.list"

  log "$rel: apt-get update ($mirror $rel main, private state)"
  local out
  # apt-get update exits 0 when it merely failed to fetch: check the index.
  out=$(apt_private apt-get "$work" update 2>&1) || true
  if grep -q 'Failed to fetch' <<<"$out" ||
     ! ls "$work"/lists/*_"$rel"_main_binary-"$arch"_Packages* >/dev/null 2>&1; then
    need_network "$rel" "$(grep -E '^(E:|W: Failed|Err:)' <<<"$out" | head -2 | tr '\n' ' ')"
    if grep -q NO_PUBKEY <<<"$out"; then
      log "the archive key is unknown: apt-get install --only-upgrade debian-archive-keyring"
    fi
    return $EXIT_NEED_NETWORK
  fi

  local meta=linux-image-$flavour depends image binary pkg version
  depends=$(field "$meta" Depends "$work")
  image=$(deps_matching "$depends" "^linux-image-[0-9].*-$flavour\$" | head -1)
  if [ -z "$image" ]; then
    log "$rel: $meta not found or depends on no kernel image (Depends: ${depends:-none})"
    return $EXIT_BAD_PACKAGE
  fi
  # Since 6.17-ish (sid) the image package is a meta package and the kernel
  # itself sits in linux-binary-<v>-<flavour> at usr/lib/modules/<v>/vmlinuz.
  binary=$(deps_matching "$(field "$image" Depends "$work")" \
           "^linux-binary-[0-9].*-$flavour\$" | head -1)
  pkg=${binary:-$image}
  version=$(field "$pkg" Version "$work")

  local cur
  cur=$(cached_line "$rel")
  if [ -n "$cur" ] && [ "$(cut -f3 <<<"$cur")" = "$pkg=$version" ]; then
    log "$rel: cached $pkg=$version is the newest"
    return 0
  fi

  log "$rel: apt-get download $pkg=$version"
  if ! out=$(cd "$work/deb" && apt_private apt-get "$work" download "$pkg=$version" 2>&1); then
    need_network "$rel" "$(grep -E '^(E:|W: Failed|Err:)' <<<"$out" | head -2 | tr '\n' ' ')"
    return $EXIT_NEED_NETWORK
  fi
  local deb
  deb=$(find "$work/deb" -name '*.deb' | head -1)
  [ -n "$deb" ] || { log "$rel: apt-get download produced no .deb"; return $EXIT_BAD_PACKAGE; }
  if ! dpkg-deb -x "$deb" "$work/root"; then
    log "$rel: dpkg-deb -x $deb failed"
    return $EXIT_BAD_PACKAGE
  fi

  local vmlinuz krel
  vmlinuz=$(find "$work/root/boot" "$work/root/usr/lib/modules" "$work/root/lib/modules" \
              \( -name 'vmlinuz-*' -path '*/boot/*' -o -name vmlinuz \) -type f 2>/dev/null | head -1 || true)
  if [ -z "$vmlinuz" ]; then
    log "$rel: $pkg=$version holds no vmlinuz (boot/vmlinuz-* or usr/lib/modules/*/vmlinuz)"
    return $EXIT_BAD_PACKAGE
  fi
  case "$vmlinuz" in
    */boot/vmlinuz-*) krel=${vmlinuz##*/vmlinuz-} ;;
    *) krel=$(basename "$(dirname "$vmlinuz")") ;;
  esac

  local dir=$cache/kernels/$rel-$flavour
  mkdir -p "$dir"
  if ! cp "$vmlinuz" "$dir/vmlinuz.new" || ! mv "$dir/vmlinuz.new" "$dir/vmlinuz"; then
    log "$rel: cannot write $dir/vmlinuz"
    return $EXIT_BAD_PACKAGE
  fi
  cat >"$dir/info.new" <<EOF
release=$rel
krel=$krel
package=$pkg
version=$version
deb_sha256=$(sha256sum "$deb" | cut -d' ' -f1)
mirror=$mirror
fetched=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF
  mv "$dir/info.new" "$dir/info"
  log "$rel: cached $krel ($pkg=$version, $(du -h "$dir/vmlinuz" | cut -f1))"
}

rc=0
for rel in "${releases[@]}"; do
  if [ "$refresh" != 1 ] && [ -n "$(cached_line "$rel")" ]; then
    continue
  fi
  status=0
  work=$(mktemp -d "$cache/tmp.$rel.XXXXXX")
  fetch_release "$rel" "$work" || status=$?
  rm -rf "$work"
  if [ $status -ne 0 ]; then
    # A failed refresh still leaves a usable cached kernel.
    if [ $status -eq $EXIT_NEED_NETWORK ] && [ -n "$(cached_line "$rel")" ]; then
      log "$rel: using the cached kernel"
      continue
    fi
    [ $rc -ne 0 ] || rc=$status
  fi
done

for rel in "${releases[@]}"; do
  cached_line "$rel"
done
if [ $rc -ne 0 ]; then
  missing=()
  for rel in "${releases[@]}"; do
    [ -n "$(cached_line "$rel")" ] || missing+=("$rel")
  done
  log "FAILED: no kernel for: ${missing[*]} (exit $rc)"
fi
exit $rc
