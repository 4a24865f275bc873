#!/usr/bin/env bash
# binject on Node's own 94 MiB binary (this machine's node), one run:
#  - injection time ÷ postject's (goal <= 0.2), both from the command line;
#  - output size − input size − resource size (goal <= 8 KiB for ELF);
#  - the compressed SEA's cold and warm start ÷ the uncompressed SEA's start.
# Needs hyperfine, `npm ci` (postject) and bin-stub (built here in prod).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v hyperfine >/dev/null || { echo "fail    hyperfine is needed: apt-get install hyperfine" >&2; exit 1; }
postject="$root/node_modules/postject/dist/cli.js"
[[ -f "$postject" ]] || { echo "fail    postject is missing: run npm ci" >&2; exit 1; }
fuse=NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2
node_bin="$(node -p process.execPath)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"
./build.sh --target=Build --package=bin-stub --mode=prod --verbosity=quiet >/dev/null
dotnet build tools/Btm.Cli -c Release -o "$work/cli" -nologo -v quiet >/dev/null
btm=(dotnet "$work/cli/btm.dll")

cat > "$work/main.js" <<'JS'
console.log('hello from a benchmark SEA');
JS
echo '{"main":"main.js","output":"app.blob","disableExperimentalSEAWarning":true}' > "$work/sea-config.json"
(cd "$work" && node --experimental-sea-config sea-config.json >/dev/null)

hyperfine --warmup 1 --runs 5 --export-json "$work/inject.json" \
  --prepare "cp $node_bin $work/pj-target" \
  "${btm[*]} binject $node_bin --resource NODE_SEA_BLOB=$work/app.blob --sentinel-fuse $fuse -o $work/ours" \
  "node $postject $work/pj-target NODE_SEA_BLOB $work/app.blob --sentinel-fuse $fuse" >&2

host="$(uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/')"
stub="packages/bin-stub/build/prod/linux-$host/out/Final/bin-stub"
"${btm[@]}" binpress "$work/ours" -o "$work/ours-pressed" --stub "$stub" --level 19 >/dev/null
BTM_DLX_DIR="$work/dlx" "$work/ours-pressed" >/dev/null
hyperfine -N --warmup 2 --runs 10 --export-json "$work/start.json" --prepare "rm -rf $work/dlx-cold" \
  "$work/ours" \
  "env BTM_DLX_DIR=$work/dlx $work/ours-pressed" \
  "env BTM_DLX_DIR=$work/dlx-cold $work/ours-pressed" >&2

python3 - "$work" "$node_bin" <<'PY'
import json, os, sys
work, node = sys.argv[1], sys.argv[2]
inject = json.load(open(f"{work}/inject.json"))["results"]
start = json.load(open(f"{work}/start.json"))["results"]
size = os.path.getsize
grow = size(f"{work}/ours") - size(node) - size(f"{work}/app.blob")
print(f"input: {node} ({size(node) / 1048576:.1f} MiB), blob {size(f'{work}/app.blob')} bytes")
print(f"binject {inject[0]['mean']:.2f} s, postject {inject[1]['mean']:.2f} s: binject ÷ postject {inject[0]['mean'] / inject[1]['mean']:.2f} (goal <= 0.2)")
print(f"output − input − resource: {grow} bytes (goal <= 8192)")
print(f"compressed SEA: {size(f'{work}/ours-pressed') / 1048576:.1f} MiB; start: plain {start[0]['mean'] * 1000:.0f} ms, "
      f"warm ÷ plain {start[1]['mean'] / start[0]['mean']:.2f}, cold ÷ plain {start[2]['mean'] / start[0]['mean']:.2f}")
PY
