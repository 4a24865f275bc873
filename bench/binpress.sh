#!/usr/bin/env bash
# Compressed binaries on a real >= 20 MB executable (default /usr/bin/node), one run:
# size ÷ zstd -19 (goal <= 1.05) and ÷ xz -9; compression time; warm start − direct exec, loaded
# in place (goal <= 0.5 ms) and by exec (BTM_DLX_EXEC=1); cold start ÷ (zstd -d of the payload +
# exec) (goal <= 1.1); PSS of four concurrent compressed programs ÷ four direct ones (goal <= 1.2);
# stub size (goal <= 64 KiB).
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
# The direct peer is the cache entry itself: the same bytes in the same page cache, so the figures
# compare loading only. (A copy made by cp sits in the page cache in other folio sizes, and the
# kernel's fault-around then maps a different number of pages: 1.28× the PSS either way, by exec too.)
direct="$(ls -d "$cache"/*/"$name")"
# Each command starts through env, so env's own exec is in every figure and cancels in the differences.
hyperfine -N --warmup 5 --runs 60 --export-json "$work/warm.json" \
  "env BTM_DLX_DIR=$cache $direct --version" "env BTM_DLX_DIR=$cache $work/pressed/$name --version" \
  "env BTM_DLX_DIR=$cache BTM_DLX_EXEC=1 $work/pressed/$name --version" >&2
hyperfine --warmup 1 --runs 12 --export-json "$work/cold.json" \
  --prepare "rm -rf $work/dlx-cold $work/peer-$name" \
  "env BTM_DLX_DIR=$work/dlx-cold $work/pressed/$name --version" "$work/peer.sh" >&2

# Memory: four concurrent copies each way, PSS summed from /proc/<pid>/smaps_rollup. Only node knows
# how to idle here; another program is measured on its --version and the figure says so.
python3 - "$direct" "$work/pressed/$name" "$cache" > "$work/pss.json" <<'PY'
import json, os, subprocess, sys, time
exe, pressed, cache = sys.argv[1:]
idle = ["-e", "console.log('ready'); setTimeout(() => {}, 60000)"] if os.path.basename(pressed).startswith("node") else None
def four(program, extra_env):
    env = dict(os.environ, BTM_DLX_DIR=cache, **extra_env)
    ps = [subprocess.Popen([program, *idle], stdout=subprocess.PIPE, env=env) for _ in range(4)]
    try:
        for p in ps:
            p.stdout.readline()
        time.sleep(0.3)
        total = 0
        for p in ps:
            for line in open(f"/proc/{p.pid}/smaps_rollup"):
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        return total
    finally:
        for p in ps:
            p.kill()
            p.wait()
# Three rounds, interleaved; the median of each.
if idle is None:
    json.dump({"direct": None}, sys.stdout)
else:
    rounds = [(four(exe, {}), four(pressed, {}), four(pressed, {"BTM_DLX_EXEC": "1"})) for _ in range(3)]
    median = lambda i: sorted(r[i] for r in rounds)[1]
    json.dump({"direct": median(0), "inplace": median(1), "exec": median(2)}, sys.stdout)
PY

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
print(f"warm start − direct exec, in place: {(warm[1]['median'] - warm[0]['median']) * 1000:.2f} ms (goal <= 0.5 ms; direct {warm[0]['median'] * 1000:.2f} ms, medians)")
print(f"warm start − direct exec, by exec (BTM_DLX_EXEC=1): {(warm[2]['median'] - warm[0]['median']) * 1000:.2f} ms")
print(f"cold start ÷ (zstd -d + exec): {cold[0]['mean'] / cold[1]['mean']:.2f} (goal <= 1.1; {cold[0]['mean'] * 1000:.0f} ms vs {cold[1]['mean'] * 1000:.0f} ms)")
pss = json.load(open(f"{work}/pss.json"))
if pss["direct"]:
    print(f"PSS of four concurrent compressed ÷ four direct: in place {pss['inplace'] / pss['direct']:.2f} (goal <= 1.2), "
          f"by exec {pss['exec'] / pss['direct']:.2f} ({pss['direct'] // 1024} MiB direct, {pss['inplace'] // 1024} MiB in place)")
else:
    print("PSS: not measured (only node can be left idling by this script)")
print(f"stub size: {size(stub)} bytes (goal <= 65536)")
PY
