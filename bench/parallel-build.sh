#!/usr/bin/env bash
# Build --force of six independent packages (four from the btm-package template, two make
# packages), each with enough generated C to take a few seconds: --jobs=2 ÷ --jobs=1, one run.
# Goal: <= 0.65 on 2 cores. Needs hyperfine (apt-get install hyperfine).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v hyperfine >/dev/null || { echo "fail    hyperfine is needed: apt-get install hyperfine" >&2; exit 1; }
cd "$root"
./build.sh --target=Tasks >/dev/null   # builds the host once
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
repo="$work/repo"
mkdir -p "$repo/packages" "$repo/docs"
cp cake.config "$repo/"
sed -i '/^Packages=/d' "$repo/cake.config"  # its packages are the ones copied into packages/
cp -r docs/schemas "$repo/docs/"

# C that keeps the compiler busy for a few seconds at -O2: many small distinct functions.
gen_c() {
  python3 - "$1" <<'PY'
import sys
n = 500
with open(sys.argv[1], "w") as f:
    for i in range(n):
        f.write(f"int work_{i}(int x) {{ int s = {i}; for (int j = 0; j < x; j++) s = s * 31 + (j ^ {i}) % 7; return s; }}\n")
    f.write("int work_all(int x) { int s = 0;\n")
    for i in range(n):
        f.write(f"  s += work_{i}(x);\n")
    f.write("  return s; }\n")
PY
}

hive="$work/hive"
dotnet new install "$root/templates/btm-package" --debug:custom-hive "$hive" >/dev/null
for i in 1 2 3 4; do
  name="tpl-$i"
  dotnet new btm-package -n "$name" -o "$repo/packages/$name" --debug:custom-hive "$hive" >/dev/null
  gen_c "$repo/packages/$name/src/work.c"
  echo "target_sources($name PRIVATE src/work.c)" >> "$repo/packages/$name/CMakeLists.txt"
done
for i in 1 2; do
  name="mk-$i"
  mkdir -p "$repo/packages/$name/src"
  gen_c "$repo/packages/$name/src/work.c"
  printf '#include <stdio.h>\nint work_all(int);\nint main(void) { printf("%%d\\n", work_all(3)); return 0; }\n' > "$repo/packages/$name/src/main.c"
  printf 'all:\n\t$(CC) -O2 -o $(BTM_OUT_DIR)/%s$(BTM_EXE_SUFFIX) src/main.c src/work.c\n' "$name" > "$repo/packages/$name/Makefile"
  printf '{"name": "%s", "description": "bench", "builder": "make", "binaries": ["%s"], "test": false}\n' "$name" "$name" > "$repo/packages/$name/btm.json"
done

host=(dotnet "$root/.btm/host/Btm.Build.dll" "--root=$repo" --target=Build --mode=prod --force --verbosity=quiet)
"${host[@]}" --jobs=2 >/dev/null   # warm: configure trees exist, as in a developer's --force rebuild
out="$work/result.json"
hyperfine --warmup 0 --runs 2 --export-json "$out" -N \
  "${host[*]} --jobs=1" \
  "${host[*]} --jobs=2" >&2
python3 - "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
one, two = r[0]["mean"], r[1]["mean"]
print(f"Build --force, 6 packages, --jobs=1: {one:.2f} s")
print(f"Build --force, 6 packages, --jobs=2: {two:.2f} s")
print(f"ratio --jobs=2 / --jobs=1: {two / one:.2f} (goal <= 0.65 on 2 cores)")
PY
