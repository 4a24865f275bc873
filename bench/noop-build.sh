#!/usr/bin/env bash
# 1. No-op Build (every checkpoint valid) ÷ an empty task, both through ./build.sh. Goal: <= 1.2.
# 2. No-op Build of 20 packages × 2 platforms ÷ no-op Build of one package × one platform, both
#    through the host. Goal: <= 1.5 (a no-op must grow slowly with the repo). The second platform
#    is linux-x64-musl (musl-tools), else linux-arm64 (gcc-aarch64-linux-gnu).
# One run, one machine. Needs hyperfine (apt-get install hyperfine).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v hyperfine >/dev/null || { echo "fail    hyperfine is needed: apt-get install hyperfine" >&2; exit 1; }
cd "$root"
echo "info    warming up: a full Build so every checkpoint is valid"
./build.sh --target=Build --verbosity=quiet
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

second=""
if command -v musl-gcc >/dev/null; then second=linux-x64-musl
elif command -v aarch64-linux-gnu-gcc >/dev/null; then second=linux-arm64
else echo "fail    a second platform needs musl-tools or gcc-aarch64-linux-gnu" >&2; exit 1; fi

make_repo() { # <dir> <packages> <platforms>
  mkdir -p "$1/packages" "$1/docs"
  cp cake.config "$1/"
  sed -i '/^Packages=/d' "$1/cake.config"
  sed -i "s/^Targets=.*/Targets=$3/" "$1/cake.config"
  cp -r docs/schemas "$1/docs/"
  for i in $(seq 1 "$2"); do
    p="$1/packages/pkg-$i"
    mkdir -p "$p/src"
    printf '#include <stdio.h>\nint main(void) { puts("pkg-%s"); return 0; }\n' "$i" > "$p/src/main.c"
    printf 'all:\n\t$(CC) -o $(BTM_OUT_DIR)/pkg-%s$(BTM_EXE_SUFFIX) src/main.c\n' "$i" > "$p/Makefile"
    printf '{"name": "pkg-%s", "description": "bench", "builder": "make", "binaries": ["pkg-%s"], "inputs": ["Makefile", "src/**"]}\n' "$i" "$i" > "$p/btm.json"
  done
  dotnet "$root/.btm/host/Btm.Build.dll" "--root=$1" --target=Build --verbosity=quiet >/dev/null
}
make_repo "$work/one" 1 host
make_repo "$work/many" 20 "host,$second"

out="$work/result.json"
hyperfine --warmup 3 --runs 20 --export-json "$out" -N \
  "./build.sh --target=Empty --verbosity=quiet" \
  "./build.sh --target=Build --verbosity=quiet" \
  "dotnet $root/.btm/host/Btm.Build.dll --root=$work/one --target=Build --verbosity=quiet" \
  "dotnet $root/.btm/host/Btm.Build.dll --root=$work/many --target=Build --verbosity=quiet" >&2
python3 - "$out" "$second" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
empty, build, one, many = (x["mean"] for x in r)
print(f"empty task:     {empty * 1000:.1f} ms")
print(f"no-op Build:    {build * 1000:.1f} ms")
print(f"ratio no-op Build / empty task: {build / empty:.2f} (goal <= 1.2)")
print(f"no-op, 1 package x 1 platform:   {one * 1000:.1f} ms")
print(f"no-op, 20 packages x 2 platforms (host, {sys.argv[2]}): {many * 1000:.1f} ms")
print(f"ratio 20x2 / 1x1: {many / one:.2f} (goal <= 1.5)")
PY
