#!/usr/bin/env bash
# libzstd (BTM's P/Invoke, the host's libzstd1) against ZstdSharp.Port on one large executable
# (default /usr/bin/node), each in its own process, in alternating pairs: compression time at
# level 19 (long-distance matching, one worker per core) and its ratio, output size, decompression
# time, and start-up (one 4 KiB compression in a fresh process). Prints ZstdSharp ÷ libzstd,
# medians over the pairs. The decision it informs is in docs/architecture.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
input="${1:-/usr/bin/node}"
pairs="${2:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dotnet build "$root/bench/zstd-libraries" -c Release -o "$work/bin" -nologo -v quiet >/dev/null
run() { # library action in out -> milliseconds (wall, whole process)
  local t0 t1
  t0=$(date +%s%N)
  dotnet "$work/bin/zstd-libraries.dll" "$1" "$2" "$3" "$4" 19 >/dev/null
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000000 ))
}
declare -A times
for ((i = 0; i < pairs; i++)); do
  for lib in libzstd zstdsharp; do
    times[$lib-compress]+="$(run $lib compress "$input" "$work/$lib.zst") "
    times[$lib-decompress]+="$(run $lib decompress "$work/$lib.zst" "$work/$lib.out") "
    times[$lib-startup]+="$(run $lib startup x x) "
    cmp -s "$input" "$work/$lib.out" || { echo "fail    $lib did not restore $input" >&2; exit 1; }
    times[$lib-size]="$(stat -c %s "$work/$lib.zst")"
  done
done
python3 - "$input" "$pairs" "${times[libzstd-compress]}" "${times[zstdsharp-compress]}" "${times[libzstd-decompress]}" \
  "${times[zstdsharp-decompress]}" "${times[libzstd-startup]}" "${times[zstdsharp-startup]}" "${times[libzstd-size]}" "${times[zstdsharp-size]}" <<'PY'
import os, statistics, sys
inp, pairs = sys.argv[1], sys.argv[2]
lc, sc, ld, sd, ls, ss = [[int(x) for x in a.split()] for a in sys.argv[3:9]]
lsize, ssize = int(sys.argv[9]), int(sys.argv[10])
m = statistics.median
ratio = lambda a, b: m([x / y for x, y in zip(a, b)])
print(f"input: {inp} ({os.path.getsize(inp) / 1048576:.1f} MiB), level 19, {os.cpu_count()} workers, {pairs} pairs, whole-process wall times")
print(f"compress: ZstdSharp ÷ libzstd {ratio(sc, lc):.2f} (median {m(sc) / 1000:.1f} s vs {m(lc) / 1000:.1f} s)")
print(f"output size: ZstdSharp ÷ libzstd {ssize / lsize:.4f} ({ssize} vs {lsize} bytes)")
print(f"decompress: ZstdSharp ÷ libzstd {ratio(sd, ld):.2f} (median {m(sd)} ms vs {m(ld)} ms)")
print(f"start-up (4 KiB in a fresh process): ZstdSharp ÷ libzstd {ratio(ss, ls):.2f} (median {m(ss)} ms vs {m(ls)} ms)")
PY
