#!/usr/bin/env bash
# The go and bun builders' programs against the same CLI as a Node SEA (packages/hello-sea), all
# linux-x64 prod builds through this clone's BTM: file size, npm tarball size, and start-up
# (`--version`, median wall time and peak memory of paired runs with farm-bench, else hyperfine).
# Usage: bench/app-builders.sh [runs, default 20]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-20}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for tool in go git npm; do
  command -v "$tool" >/dev/null || { echo "fail    $tool is needed (apt-get install golang-go; npm ci)" >&2; exit 1; }
done

repo="$work/repo"
mkdir -p "$repo/packages"
cp "$root/cake.config" "$root/LICENSE" "$root/package.json" "$root/package-lock.json" "$repo/"
sed -i '/^Packages=/d' "$repo/cake.config"  # its packages are the ones copied into packages/
cp -r "$root/docs" "$repo/docs"
cp -r "$root/examples/hello-go" "$root/examples/hello-bun" "$root/packages/hello-sea" "$repo/packages/"
ln -s "$root/node_modules" "$repo/node_modules"
(cd "$repo" && git init -q && git add -A && git -c user.name=bench -c user.email=bench@localhost commit -qm bench)
"$root/build.sh" --target=Tasks >/dev/null
dotnet "$root/.btm/host/Btm.Build.dll" --root="$repo" --target=Package --partial --platform=linux-x64 --mode=prod --verbosity=quiet >/dev/null

final() { echo "$repo/packages/$1/build/prod/linux-x64/out/Final/$1"; }
tarball() { ls "$repo"/artifacts/*/npm/btm-"$1"-linux-x64-*.tgz; }
size() { stat -c %s "$1"; }
sea_size=$(size "$(final hello-sea)"); sea_tgz=$(size "$(tarball hello-sea)")
echo "linux-x64 prod, the same --version CLI"
printf '  %-10s %12s %8s %12s %8s\n' program bytes "÷ SEA" "tgz bytes" "÷ SEA"
for app in hello-go hello-bun hello-sea; do
  b=$(size "$(final "$app")"); t=$(size "$(tarball "$app")")
  printf '  %-10s %12d %8.3f %12d %8.3f\n' "$app" "$b" "$(echo "$b / $sea_size" | bc -l)" "$t" "$(echo "$t / $sea_tgz" | bc -l)"
done

echo
if command -v farm-bench >/dev/null; then
  for app in hello-go hello-bun; do
    echo "start-up: $app --version ÷ hello-sea --version (farm-bench, $runs paired runs; ratio row = $app / hello-sea)"
    farm-bench -n "$runs" --vs "$(final hello-sea) --version" -- "$(final "$app")" --version
    echo
  done
else
  hyperfine -N -w 3 -r "$runs" "$(final hello-go) --version" "$(final hello-bun) --version" "$(final hello-sea) --version"
fi
