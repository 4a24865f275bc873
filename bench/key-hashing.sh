#!/usr/bin/env bash
# Cache-key hashing throughput over ~200 MB of files ÷ sha256sum on the same files, one run.
# Goal: >= 0.9. Both sides read from the page cache (one warm-up pass first).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
command -v sha256sum >/dev/null || { echo "fail    sha256sum is needed (coreutils)" >&2; exit 1; }

echo "info    writing ~200 MB of inputs (180 x 1 MiB, 2000 x 10 KiB, like a source tree with vendored blobs)"
mkdir -p "$work/pkg/src" "$work/pkg/blobs"
echo '{"name": "bench"}' > "$work/pkg/btm.json"
head -c $((180 * 1024 * 1024)) /dev/urandom | split -b 1M - "$work/pkg/blobs/blob-"
head -c $((2000 * 10 * 1024)) /dev/urandom | split -a 4 -b 10K - "$work/pkg/src/file-"

dotnet build "$root/bench/Hashing/Hashing.csproj" -c Release -o "$work/bin" -nologo -v quiet >/dev/null
find "$work/pkg" -type f -print0 | xargs -0 cat > /dev/null   # warm the page cache

btm="$(dotnet "$work/bin/Hashing.dll" key "$work/pkg" 5)"
bytes=$(awk '/^bytes/ {print $2}' <<<"$btm")
key_s=$(awk '/^key_seconds/ {print $2}' <<<"$btm")
seq_s=$(awk '/^sequential_seconds/ {print $2}' <<<"$btm")

best=999
for _ in 1 2 3 4 5; do
  start=$(date +%s.%N)
  (cd "$work/pkg" && find . -type f -print0 | sort -z | xargs -0 sha256sum > /dev/null)
  end=$(date +%s.%N)
  best=$(awk -v a="$best" -v b="$(awk -v s="$start" -v e="$end" 'BEGIN {print e - s}')" 'BEGIN {print (b < a) ? b : a}')
done

awk -v bytes="$bytes" -v key="$key_s" -v seq="$seq_s" -v peer="$best" -v cores="$(nproc)" 'BEGIN {
  mb = bytes / 1048576
  printf "inputs:                 %.0f MiB\n", mb
  printf "sha256sum (1 process):  %.3f s  %.0f MiB/s\n", peer, mb / peer
  printf "btm key (%d threads):    %.3f s  %.0f MiB/s\n", cores, key, mb / key
  printf "btm sha256, 1 thread:   %.3f s  %.0f MiB/s\n", seq, mb / seq
  printf "ratio key/sha256sum throughput:      %.2f (goal >= 0.9)\n", peer / key
  printf "ratio 1-thread/sha256sum throughput: %.2f\n", peer / seq
}'
