#!/usr/bin/env bash
# An edit-and-rebuild loop on a zig target (linux-x64 at the glibc floor), in one run on one machine:
# a CMake package of 24 C files, rebuilt through the host after
#   (a) an edit to one file (the unit's key changes, its work tree starts empty, zig answers the
#       other 23 objects from its cache), against
#   (b) an edit to a header 24 of the files include (they all compile: the cost without zig's cache).
# Prints the ratio a / b. Needs hyperfine (apt-get install hyperfine), cmake, ninja and zig (npm ci).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v hyperfine >/dev/null || { echo "fail    hyperfine is needed: apt-get install hyperfine" >&2; exit 1; }
cd "$root"
[[ -f .btm/host/Btm.Build.dll ]] || ./build.sh --target=Tasks >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

repo="$work/repo"
pkg="$repo/packages/many"
mkdir -p "$pkg/src" "$repo/docs"
cp cake.config LICENSE "$repo/"
sed -i '/^Packages=/d; s/^Targets=.*/Targets=linux-x64/' "$repo/cake.config"
cp -r docs/schemas "$repo/docs/"
# zig comes from the repo's node_modules (npm ci).
ln -s "$root/node_modules" "$repo/node_modules"
printf '{"name": "many", "description": "bench", "builder": "cmake", "binaries": ["many"], "inputs": ["CMakeLists.txt", "src/**"]}\n' > "$pkg/btm.json"
sources=""
for i in $(seq 1 24); do
  # Enough code per file that compiling it, not starting the compiler, is what costs.
  {
    printf '#include "shared.h"\n'
    for j in $(seq 1 40); do
      printf 'static unsigned f%s_%s(unsigned x) { for (unsigned k = 0; k < %s; k++) x = x * 2654435761u + SALT + (x >> %s); return x; }\n' "$i" "$j" "$j" "$((j % 13 + 1))"
    done
    printf 'unsigned part%s(unsigned x) {' "$i"
    for j in $(seq 1 40); do printf ' x = f%s_%s(x);' "$i" "$j"; done
    printf ' return x; }\n'
  } > "$pkg/src/part$i.c"
  sources="$sources src/part$i.c"
done
{
  printf '#include <stdio.h>\n'
  for i in $(seq 1 24); do printf 'unsigned part%s(unsigned);\n' "$i"; done
  printf 'int main(void) { unsigned x = 1;'
  for i in $(seq 1 24); do printf ' x = part%s(x);' "$i"; done
  printf ' printf("%%u\\n", x); return 0; }\n'
} > "$pkg/src/main.c"
# Never 0: the compiler folds x + 0, and the one-file runs would compile other code than the header runs.
printf '#define SALT 7u\n' > "$pkg/src/shared.h"
printf 'cmake_minimum_required(VERSION 3.20)\nproject(many LANGUAGES C)\nset(CMAKE_C_FLAGS "${CMAKE_C_FLAGS} -O2")\nadd_executable(many src/main.c%s)\n' "$sources" > "$pkg/CMakeLists.txt"

build="dotnet $root/.btm/host/Btm.Build.dll --root=$repo --target=Build --verbosity=quiet"
echo "info    warming up: the first build (zig's libraries for linux-x64, if missing)"
$build >/dev/null || { dotnet "$root/.btm/host/Btm.Build.dll" --root="$repo" --target=Build; exit 1; }

# Each run edits before it builds (a new value each time, so neither zig nor BTM has it yet).
cat > "$work/edit" <<'SH'
#!/bin/sh
# edit <one|header> <pkg>: a new line in part1.c, or a new SALT in the header all files include.
n=$(date +%s%N)
if [ "$1" = one ]; then printf '/* %s */\n' "$n" >> "$2/src/part1.c"; else printf '#define SALT %su\n' "$((n % 1000000007 + 1))" > "$2/src/shared.h"; fi
SH
chmod +x "$work/edit"
out="$work/result.json"
hyperfine --warmup 1 --runs 8 --export-json "$out" -N \
  --prepare "$work/edit one $pkg" "$build" \
  --prepare "$work/edit header $pkg" "$build" >&2
python3 - "$out" <<'PY'
import json, sys
one, everything = (x["median"] for x in json.load(open(sys.argv[1]))["results"])
print(f"rebuild after an edit to one of 25 files:      {one:6.2f} s (median)")
print(f"rebuild after an edit to the header 24 include: {everything:6.2f} s")
print(f"ratio one file / every file: {one / everything:.2f}")
PY
