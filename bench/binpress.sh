#!/usr/bin/env bash
# Compressed binaries on a real >= 20 MB executable (default /usr/bin/node), one run:
# size ÷ zstd -19 (goal <= 1.05) and ÷ xz -9; compression time; warm start − direct exec
# (goal <= 1 ms); cold start ÷ (zstd -d of the payload + exec) (goal <= 1.3); stub size (goal <= 100 KB).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exe="${1:-/usr/bin/node}"
level="${2:-19}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for tool in hyperfine zstd xz python3; do
  command -v "$tool" >/dev/null || { echo "fail    $tool is needed (apt-get install $tool)" >&2; exit 1; }
done
[[ $(stat -c %s "$exe") -ge $((20 * 1024 * 1024)) ]] || echo "warn    $exe is under 20 MB" >&2
cd "$root"
./build.sh --target=Build --package=bin-stub --mode=prod --verbosity=quiet
stub="packages/bin-stub/build/prod/$(dotnet .btm/host/Btm.Build.dll --root="$root" --target=Tasks >/dev/null 2>&1; uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/;s/^/linux-/')/out/Final/bin-stub"
dotnet build tools/Btm.Cli -c Release -o "$work/cli" -nologo -v quiet >/dev/null
name="$(basename "$exe")"
mkdir -p "$work/pressed"

t0=$(date +%s.%N)
dotnet "$work/cli/btm.dll" binpress "$exe" -o "$work/pressed/$name" --stub "$stub" --level "$level" >/dev/null
t1=$(date +%s.%N)
zstd -q -19 --long=27 -T0 "$exe" -o "$work/z19.zst"
t2=$(date +%s.%N)
xz -9 -T0 -k -c "$exe" > "$work/x9.xz"

# The payload alone, for the cold-start peer: zstd -d of exactly those bytes, then exec.
python3 - "$work/pressed/$name" "$work/payload.zst" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
t = data[-128:]
offset, size = struct.unpack_from("<qq", t, 16)
open(sys.argv[2], "wb").write(data[offset:offset + size])
PY
cat > "$work/peer.sh" <<SH
#!/bin/sh
zstd -q -d -f --long=31 "$work/payload.zst" -o "$work/peer-$name" && chmod +x "$work/peer-$name" && exec "$work/peer-$name" --version
SH
chmod +x "$work/peer.sh"
cache="$work/dlx"
BTM_DLX_DIR="$cache" "$work/pressed/$name" --version >/dev/null  # warm the cache once
hyperfine -N --warmup 3 --runs 30 --export-json "$work/warm.json" \
  "$exe --version" "env BTM_DLX_DIR=$cache $work/pressed/$name --version" >&2
hyperfine --warmup 1 --runs 8 --export-json "$work/cold.json" \
  --prepare "rm -rf $work/dlx-cold $work/peer-$name" \
  "env BTM_DLX_DIR=$work/dlx-cold $work/pressed/$name --version" "$work/peer.sh" >&2

python3 - "$exe" "$work" "$name" "$t0" "$t1" "$t2" "$stub" "$level" <<'PY'
import json, os, sys
exe, work, name, t0, t1, t2, stub, level = sys.argv[1:]
size = lambda p: os.path.getsize(p)
orig, pressed, z19, x9 = size(exe), size(f"{work}/pressed/{name}"), size(f"{work}/z19.zst"), size(f"{work}/x9.xz")
warm = json.load(open(f"{work}/warm.json"))["results"]
cold = json.load(open(f"{work}/cold.json"))["results"]
print(f"input: {exe} ({orig / 1048576:.1f} MiB), level {level}")
print(f"compressed binary: {pressed / 1048576:.2f} MiB ({100 * pressed / orig:.1f}% of the original)")
print(f"size ÷ zstd -19 --long: {pressed / z19:.3f} (goal <= 1.05); ÷ xz -9: {pressed / x9:.3f}")
print(f"compression time: btm binpress {float(t1) - float(t0):.1f} s, zstd -19 -T0 {float(t2) - float(t1):.1f} s")
print(f"warm start − direct exec: {(warm[1]['mean'] - warm[0]['mean']) * 1000:.2f} ms (goal <= 1 ms; direct {warm[0]['mean'] * 1000:.1f} ms)")
print(f"cold start ÷ (zstd -d + exec): {cold[0]['mean'] / cold[1]['mean']:.2f} (goal <= 1.3; {cold[0]['mean'] * 1000:.0f} ms vs {cold[1]['mean'] * 1000:.0f} ms)")
print(f"stub size: {size(stub) / 1024:.0f} KiB (goal <= 100 KB)")
PY
