#!/usr/bin/env bash
# Package + Verify wall time for the repo's packages, and manifest hashing throughput
# (what Package/Verify compute per tarball) ÷ sha256sum on the same bytes, one run.
# Goal for the ratio: >= 0.9.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
command -v hyperfine >/dev/null || { echo "fail    hyperfine is needed: apt-get install hyperfine" >&2; exit 1; }

./build.sh --target=Build --verbosity=quiet
hyperfine --warmup 1 --runs 5 --export-json "$work/pv.json" -N \
  "./build.sh --target=Package --verbosity=quiet" \
  "./build.sh --target=Verify --verbosity=quiet" >&2

echo "info    a 200 MiB tarball of incompressible data (a large binary) for the hashing ratio" >&2
mkdir -p "$work/pkg/package/bin"
head -c $((200 * 1024 * 1024)) /dev/urandom > "$work/pkg/package/bin/big"
tar -C "$work/pkg" -czf "$work/big.tgz" package
dotnet build "$root/bench/Hashing/Hashing.csproj" -c Release -o "$work/bin" -nologo -v quiet >/dev/null
cat "$work/big.tgz" > /dev/null
btm="$(dotnet "$work/bin/Hashing.dll" manifest "$work/big.tgz" 5)"
hyperfine --warmup 1 --runs 5 --export-json "$work/sum.json" -N "sha256sum $work/big.tgz" >&2

python3 - "$work/pv.json" "$work/sum.json" <<PY
import json, sys
pv = json.load(open(sys.argv[1]))["results"]
peer = min(json.load(open(sys.argv[2]))["results"][0]["times"])
btm = dict(line.split() for line in """$btm""".strip().splitlines())
mb = int(btm["bytes"]) / 1048576
digest = float(btm["digest_seconds"]); files = float(btm["files_seconds"])
print(f"Package (repo packages, checkpoints warm): {pv[0]['mean']:.2f} s")
print(f"Verify (hashes, 8-platform install check, run): {pv[1]['mean']:.2f} s")
print(f"tarball: {mb:.0f} MiB; sha256sum {peer:.3f} s ({mb/peer:.0f} MiB/s)")
print(f"btm tarball digest (sha256 + sha512, one read): {digest:.3f} s ({mb/digest:.0f} MiB/s)")
print(f"btm inner files (gunzip + sha256 each):      {files:.3f} s ({mb/files:.0f} MiB/s)")
print(f"ratio digest/sha256sum throughput: {peer/digest:.2f} (goal >= 0.9)")
print(f"ratio full manifest hashing (digest + inner files)/sha256sum: {peer/(digest+files):.2f}")
PY
