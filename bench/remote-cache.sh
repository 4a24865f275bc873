#!/usr/bin/env bash
# The remote checkpoint cache on loopback (the real turborepo-remote-cache from node_modules), one run:
#  clone A builds everything and uploads; clone B, at another path, then
#  - restores every stage from the remote cache (its local checkpoints removed before each run),
#  - runs a no-op Build (everything local and current).
# Prints restore ÷ no-op (goal <= 3) and restore ÷ A's full Build (goal <= 0.2).
# Needs hyperfine (apt-get install hyperfine) and `npm ci`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v hyperfine >/dev/null || { echo "fail    hyperfine is needed: apt-get install hyperfine" >&2; exit 1; }
server_js="$root/node_modules/turborepo-remote-cache/dist/cli.js"
[[ -f "$server_js" ]] || { echo "fail    turborepo-remote-cache is missing: run npm ci" >&2; exit 1; }
cd "$root"
./build.sh --target=Tasks >/dev/null   # builds the host once
work="$(mktemp -d)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TURBO_TOKEN=bench STORAGE_PROVIDER=local STORAGE_PATH="$work/storage" STORAGE_PATH_USE_TMP_FOLDER=false HOST=127.0.0.1 PORT=$port \
  node "$server_js" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done

export BTM_REMOTE_CACHE_URL="http://127.0.0.1:$port" BTM_REMOTE_CACHE_TOKEN=bench BTM_REMOTE_CACHE_TEAM=bench
git clone -q "$root" "$work/a"
git clone -q "$root" "$work/b"
host() { dotnet "$root/.btm/host/Btm.Build.dll" "--root=$1" --target=Build --verbosity=quiet "${@:2}"; }

start=$(date +%s%N)
host "$work/a" --summary="$work/a.json" >/dev/null
full_ms=$(( ($(date +%s%N) - start) / 1000000 ))
python3 - "$work/a.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"clone A: {len(s['stages'])} stages built, {s['remote']['uploaded']} uploaded")
PY

clean_b="rm -rf $work/b/packages/bin-stub/build $work/b/packages/binflate/build"
hyperfine -N --runs 5 --prepare "$clean_b" --export-json "$work/restore.json" \
  "dotnet $root/.btm/host/Btm.Build.dll --root=$work/b --target=Build --verbosity=quiet --summary=$work/b.json" >&2
python3 - "$work/b.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
restored = [x for x in s["stages"] if x["outcome"] == "restored" and x["detail"].startswith("remote")]
assert len(restored) == len(s["stages"]) and s["remote"]["restored"] == len(restored), "clone B compiled something"
print(f"clone B: {len(restored)} stages restored from the remote cache, 0 compiled")
PY
hyperfine -N --warmup 1 --runs 10 --export-json "$work/noop.json" \
  "dotnet $root/.btm/host/Btm.Build.dll --root=$work/b --target=Build --verbosity=quiet" >&2

python3 - "$work" "$full_ms" <<'PY'
import json, sys
work, full = sys.argv[1], int(sys.argv[2]) / 1000
restore = json.load(open(f"{work}/restore.json"))["results"][0]["mean"]
noop = json.load(open(f"{work}/noop.json"))["results"][0]["mean"]
print(f"restore everything from the remote cache: {restore:.2f} s; no-op Build: {noop:.2f} s; full Build: {full:.1f} s")
print(f"restore ÷ no-op: {restore / noop:.2f} (goal <= 3)")
print(f"restore ÷ full Build: {restore / full:.3f} (goal <= 0.2)")
PY
