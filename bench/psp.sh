#!/usr/bin/env bash
# Signed self-contained packages on the Python example (examples/hello-psp-python: the CPython
# BTM builds from Debian's source as its runtime slot, and an app slot), or with "node" the Node
# example (a 99 MB runtime slot from npm), packed at zstd level 19 for this host, all in one run:
#   warm start − direct run of the same runtime from the same extracted files (goal <= 3 ms)
#   cold start ÷ (zstd -d | tar -x of the same tree, then the direct run)     (goal <= 1.3)
#   version 2 (app slot changed) first run ÷ version 1 first run             (goal <= 0.2)
#   package size ÷ tar | zstd -19 of the same tree                           (goal <= 1.05)
# Usage: bench/psp.sh [python|node]
set -euo pipefail
case "${1:-python}" in
  python) example=hello-psp-python slot=python entry=python/bin/python3.11 main=main.py comment='#'
          runtime_args=(-I -B) ;;
  node) example=hello-psp-node slot=node entry=node/bin/node main=main.js comment='//' runtime_args=() ;;
  *) echo "fail    unknown example '$1': use python or node" >&2; exit 2 ;;
esac
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for tool in hyperfine zstd tar python3; do
  command -v "$tool" >/dev/null || { echo "fail    $tool is needed (apt-get install $tool)" >&2; exit 1; }
done
cd "$root"
host="linux-$(uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/')"
./build.sh --target=Build --package="$example" --mode=prod --platform="$host" --verbosity=quiet
launcher="packages/psp-launcher/build/prod/$host/out/Final/psp-launcher"
runtime="examples/$example/build/prod/$host/work/psp/slots/$slot"
dotnet build tools/Btm.Cli -c Release -o "$work/cli" -nologo -v quiet >/dev/null
openssl genpkey -algorithm ed25519 -out "$work/key.pem" 2>/dev/null
mkdir -p "$work/tree/v1" "$work/tree/v2"
cp -r "$runtime" "$work/tree/v1/$slot"
cp -r "examples/$example/app" "$work/tree/v1/app"
cp -r "examples/$example/app" "$work/tree/v2/app"
printf '\n%s version 2\n' "$comment" >> "$work/tree/v2/app/$main"
args=()
for a in "${runtime_args[@]}" "{workenv}/app/$main"; do args+=(--arg "$a"); done
pack() { # version, app folder
  dotnet "$work/cli/btm.dll" psp pack -o "$work/hello-$1.psp" --name "$example" --version "$1" --platform "$host" \
    --entry "$entry" "${args[@]}" --env "BTM_PACKAGE_NAME=$example" --env "BTM_PACKAGE_VERSION=$1" \
    --slot "$slot:runtime=$work/tree/v1/$slot" --slot "app=$2" --sign "$work/key.pem" --launcher "$launcher" --level 19 >/dev/null
}
t0=$(date +%s.%N)
pack 1.0.0 "$work/tree/v1/app"
t1=$(date +%s.%N)
pack 2.0.0 "$work/tree/v2/app"
tar -c -C "$work/tree/v1" "$slot" app | zstd -q -19 -o "$work/tree.tar.zst"

# Warm: the direct run is the runtime in the package's own work environment, so both read the
# same files from the same page cache and the difference is the launcher's.
we="$work/workenv"
BTM_WORKENV_DIR="$we" "$work/hello-1.0.0.psp" --version >/dev/null
env="$(ls -d "$we"/envs/*/ | head -1)"
hyperfine -N --warmup 5 --runs 40 --export-json "$work/warm.json" \
  "env BTM_WORKENV_DIR=$we $work/hello-1.0.0.psp --version" \
  "env BTM_PACKAGE_NAME=$example BTM_PACKAGE_VERSION=1.0.0 ${env}$entry ${runtime_args[*]} ${env}app/$main --version" >&2

cat > "$work/peer.sh" <<SH
#!/bin/sh
mkdir -p "$work/peer" && zstd -q -d -c "$work/tree.tar.zst" | tar -x -C "$work/peer" && exec env BTM_PACKAGE_NAME=$example BTM_PACKAGE_VERSION=1.0.0 "$work/peer/$entry" ${runtime_args[*]} "$work/peer/app/$main" --version
SH
chmod +x "$work/peer.sh"
hyperfine --warmup 1 --runs 8 --export-json "$work/cold.json" \
  --prepare "sh -c 'rm -rf $work/cold $work/peer && sync'" \
  "env BTM_WORKENV_DIR=$work/cold $work/hello-1.0.0.psp --version" "$work/peer.sh" >&2

# Version 2's first run on a machine that ran version 1: its runtime slot is reused. Each prepare
# ends with sync: the copy's write-back must not land in either timed run.
BTM_WORKENV_DIR="$work/v1-only" "$work/hello-1.0.0.psp" --version >/dev/null
hyperfine --warmup 1 --runs 8 --export-json "$work/upgrade.json" \
  --prepare "sh -c 'rm -rf $work/upgrade $work/cold && cp -a $work/v1-only $work/upgrade && sync'" \
  "env BTM_WORKENV_DIR=$work/upgrade $work/hello-2.0.0.psp --version" \
  "env BTM_WORKENV_DIR=$work/cold $work/hello-1.0.0.psp --version" >&2

python3 - "$work" "$t0" "$t1" "$example" "$(du -sm "$runtime" | cut -f1)" <<'PY'
import json, os, sys
work, t0, t1, example, runtime_mb = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
def medians(name):
    return [r["median"] for r in json.load(open(os.path.join(work, name)))["results"]]
warm, direct = medians("warm.json")
cold, peer = medians("cold.json")
upgrade, first = medians("upgrade.json")
size = os.path.getsize(os.path.join(work, "hello-1.0.0.psp"))
zst = os.path.getsize(os.path.join(work, "tree.tar.zst"))
print(f"psp, {example} ({runtime_mb} MB runtime slot), level 19, medians:")
print(f"  pack: {t1 - t0:.1f} s")
print(f"  warm start {warm*1000:.2f} ms - direct run {direct*1000:.2f} ms = {(warm-direct)*1000:.2f} ms (goal <= 3 ms)")
print(f"  cold start {cold*1000:.0f} ms / (zstd -d | tar -x, then run) {peer*1000:.0f} ms = {cold/peer:.2f} (goal <= 1.3)")
print(f"  version 2 first run {upgrade*1000:.0f} ms / version 1 first run {first*1000:.0f} ms = {upgrade/first:.2f} (goal <= 0.2)")
print(f"  size {size/1e6:.2f} MB / tar | zstd -19 {zst/1e6:.2f} MB = {size/zst:.3f} (goal <= 1.05)")
PY
