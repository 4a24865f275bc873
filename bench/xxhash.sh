#!/usr/bin/env bash
# xxhsum from BTM's release of examples/xxhash (prod, built by its own Makefile through BTM) ÷ xxhsum
# built by that Makefile alone with this host's cc: XXH64 throughput on one large file (goal >= 0.95).
# Before flags rode in CC, BTM's CFLAGS replaced the Makefile's CFLAGS ?= -O3 and xxhsum ran at -O0.
# Usage: bench/xxhash.sh [size in MiB, default 1024] [runs, default 5]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mib="${1:-1024}"
runs="${2:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for tool in make cc git; do
  command -v "$tool" >/dev/null || { echo "fail    $tool is needed" >&2; exit 1; }
done

# A repo of its own holding the example as a package, built by this clone's BTM.
repo="$work/repo"
mkdir -p "$repo/packages"
cp "$root/cake.config" "$root/LICENSE" "$root/package.json" "$root/package-lock.json" "$repo/"
sed -i '/^Packages=/d' "$repo/cake.config"  # its packages are the ones copied into packages/
cp -r "$root/docs" "$repo/docs"
cp -r "$root/examples/xxhash" "$repo/packages/xxhash"
[[ -d "$root/node_modules" ]] && ln -s "$root/node_modules" "$repo/node_modules"
(cd "$repo" && git init -q && git add -A && git -c user.name=bench -c user.email=bench@localhost commit -qm bench)
"$root/build.sh" --target=Tasks >/dev/null   # builds this clone's host, which then builds the repo
dotnet "$root/.btm/host/Btm.Build.dll" --root="$repo" --target=Build --package=xxhash --mode=prod --verbosity=quiet >/dev/null
platform="$(ls "$repo/packages/xxhash/build/prod" | grep -v musl | head -1)"
btm="$repo/packages/xxhash/build/prod/$platform/out/Final/xxhsum"

# The same source built the way its README says: make, with the Makefile's own flags.
archive="$(find "${BTM_DOWNLOAD_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/btm/downloads}" -maxdepth 1 -name 3bb6b7d6f30c591dd65aaaff1c8b7a5b94d81687998ca9400082c739a690436c | head -1)"
mkdir -p "$work/own"
tar -xzf "$archive" -C "$work/own" --strip-components=1
make -C "$work/own" xxhsum -j"$(nproc)" >/dev/null 2>&1
own="$work/own/xxhsum"

head -c "$((mib * 1024 * 1024))" /dev/urandom > "$work/data"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_one() { # seconds for one XXH64 pass over the file (in the page cache)
  local t0 t1
  t0=$(date +%s%N); "$1" -H1 "$work/data" >/dev/null 2>&1; t1=$(date +%s%N)
  echo "scale=6; ($t1 - $t0) / 1000000000" | bc
}
"$btm" -H1 "$work/data" >/dev/null 2>&1; "$own" -H1 "$work/data" >/dev/null 2>&1
btm_times=() own_times=()
for _ in $(seq "$runs"); do
  btm_times+=("$(time_one "$btm")")
  own_times+=("$(time_one "$own")")
done
b=$(printf '%s\n' "${btm_times[@]}" | median)
o=$(printf '%s\n' "${own_times[@]}" | median)
echo "xxhsum -H1 (XXH64) over $mib MiB, median of $runs paired runs"
printf '  BTM release (%s): %8.0f MB/s\n' "$platform" "$(echo "$mib * 1.048576 / $b" | bc -l)"
printf '  own make        : %8.0f MB/s\n' "$(echo "$mib * 1.048576 / $o" | bc -l)"
printf '  BTM ÷ own make  : %8.2f (goal >= 0.95)\n' "$(echo "$o / $b" | bc -l)"
