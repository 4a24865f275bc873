#!/usr/bin/env bash
# A fresh seven-target Release (Build, Test, Package, Verify, Publish to the local registry) of
# examples/hello-go, examples/hello-bun and packages/hello-sea: --jobs=2 ÷ --jobs=1, paired runs in
# one repo, every run from empty build folders, release and registry (--force), the download cache
# and Go's build cache warm as on a CI runner that keeps them. Goal: <= 0.7 on 2 cores.
# Usage: bench/parallel-release.sh [pairs, default 1] [examples, default "hello-go hello-bun"]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pairs="${1:-1}"
examples="${2:-hello-go hello-bun}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$root/build.sh" --target=Tasks >/dev/null
repo="$work/repo"
mkdir -p "$repo/packages"
cp "$root/cake.config" "$root/LICENSE" "$root/package.json" "$root/package-lock.json" "$repo/"
sed -i '/^Packages=/d' "$repo/cake.config"  # its packages are the ones copied into packages/
cp -r "$root/docs" "$repo/docs"
for e in $examples; do cp -r "$root/examples/$e" "$repo/packages/"; done
cp -r "$root/packages/hello-sea" "$repo/packages/"
ln -s "$root/node_modules" "$repo/node_modules"
(cd "$repo" && git init -q && git add -A && git -c user.name=bench -c user.email=bench@localhost commit -qm bench)
host=(dotnet "$root/.btm/host/Btm.Build.dll" "--root=$repo" --mode=prod --verbosity=quiet --allow-unsigned)
release() { # wall seconds of a Release with --jobs=$1, from nothing built
  rm -rf "$repo"/packages/*/build "$repo/artifacts" "$repo/.btm/checkpoints"
  local t0 t1
  t0=$(date +%s%N)
  "${host[@]}" --jobs="$1" --target=Release --platform=all --force >/dev/null
  t1=$(date +%s%N)
  echo "scale=2; ($t1 - $t0) / 1000000000" | bc
}
release 2 >/dev/null   # warm: download cache, Go's build cache, wine prefix
ones=() twos=()
for _ in $(seq "$pairs"); do
  ones+=("$(release 1)")
  twos+=("$(release 2)")
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
o=$(printf '%s\n' "${ones[@]}" | median)
t=$(printf '%s\n' "${twos[@]}" | median)
echo "seven-target Release of $examples hello-sea, median of $pairs pair(s)"
echo "  --jobs=1: $o s"
echo "  --jobs=2: $t s"
printf '  --jobs=2 ÷ --jobs=1: %.2f (goal <= 0.7)\n' "$(echo "$t / $o" | bc -l)"
