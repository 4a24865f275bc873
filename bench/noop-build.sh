#!/usr/bin/env bash
# No-op Build (every checkpoint valid) ÷ an empty task, both through ./build.sh, one run.
# Goal: <= 1.2. Needs hyperfine (apt-get install hyperfine).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v hyperfine >/dev/null || { echo "fail    hyperfine is needed: apt-get install hyperfine" >&2; exit 1; }
cd "$root"
echo "info    warming up: a full Build so every checkpoint is valid"
./build.sh --target=Build --verbosity=quiet
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
hyperfine --warmup 3 --runs 20 --export-json "$out" -N \
  "./build.sh --target=Empty --verbosity=quiet" \
  "./build.sh --target=Build --verbosity=quiet" >&2
python3 - "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
empty, build = r[0]["mean"], r[1]["mean"]
print(f"empty task:     {empty * 1000:.1f} ms")
print(f"no-op Build:    {build * 1000:.1f} ms")
print(f"ratio no-op Build / empty task: {build / empty:.2f} (goal <= 1.2)")
PY
