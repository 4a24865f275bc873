#!/usr/bin/env bash
# Every platform from this Linux x64 host, one run:
#  - the stub's size per target (goal <= 64 KB on linux-x64);
#  - a compressed binflate's cold and warm start ÷ the uncompressed binflate's start, under
#    qemu-aarch64 (linux-arm64) and wine (win32-x64): what the stub costs there;
#  - a fresh seven-target Release (a new clone each time): wall time --jobs=2 ÷ --jobs=1.
# Pass --no-release to skip the last part (two full Releases, several minutes).
# Needs hyperfine, qemu-user with qemu-aarch64 in binfmt_misc (.ci/run registers it), wine64.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
release=1
[[ "${1:-}" == "--no-release" ]] && release=0
for tool in hyperfine qemu-aarch64 python3 git; do
  command -v "$tool" >/dev/null || { echo "fail    $tool is needed (apt-get install $tool)" >&2; exit 1; }
done
[[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]] ||
  { echo "fail    qemu-aarch64 is not registered with binfmt_misc: the stub's exec of an arm64 program needs it (see .ci/run)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"

targets=(linux-x64 linux-x64-musl linux-arm64 linux-arm64-musl win32-x64 darwin-x64 darwin-arm64)
./build.sh --target=Build --package=bin-stub,binflate --platform=all --mode=prod --verbosity=quiet >/dev/null
final() { echo "packages/$1/build/prod/$2/out/Final/$1$3"; }
echo "stub size per target:"
for t in "${targets[@]}"; do
  suffix=""; [[ $t == win32-* ]] && suffix=".exe"
  printf '  %-17s %7d B\n' "$t" "$(stat -c %s "$(final bin-stub "$t" "$suffix")")"
done

dotnet build tools/Btm.Cli -c Release -o "$work/cli" -nologo -v quiet >/dev/null
press() { dotnet "$work/cli/btm.dll" binpress "$1" -o "$2" --stub "$3" --level 19 >/dev/null; }

# linux-arm64 under qemu-user: the glibc build, its loader found through QEMU_LD_PREFIX (inherited by
# the program the stub execs, which binfmt_misc hands to qemu again).
export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
arm="$(final binflate linux-arm64 "")"
press "$arm" "$work/arm-pressed" "$(final bin-stub linux-arm64 "")"
BTM_DLX_DIR="$work/dlx-arm" qemu-aarch64 "$work/arm-pressed" --version >/dev/null
hyperfine -N --warmup 2 --runs 15 --export-json "$work/qemu.json" \
  --prepare "rm -rf $work/dlx-arm-cold" \
  "qemu-aarch64 $arm --version" \
  "env BTM_DLX_DIR=$work/dlx-arm qemu-aarch64 $work/arm-pressed --version" \
  "env BTM_DLX_DIR=$work/dlx-arm-cold qemu-aarch64 $work/arm-pressed --version" >&2

# win32-x64 under wine, in the prefix the build's wrapper keeps (started once so it exists).
wine="$root/.btm/toolchains/wine/wine"
win="$(final binflate win32-x64 .exe)"
press "$win" "$work/win-pressed.exe" "$(final bin-stub win32-x64 .exe)"
"$wine" "$win" --version >/dev/null
# hyperfine -N splits its command like a shell, so backslashes are doubled there.
wcache() { echo "Z:${1//\//\\}"; }
hcache() { echo "Z:${1//\//\\\\}"; }
BTM_DLX_DIR="$(wcache "$work/dlx-win")" "$wine" "$work/win-pressed.exe" --version >/dev/null
hyperfine -N --warmup 2 --runs 10 --export-json "$work/wine.json" \
  --prepare "rm -rf $work/dlx-win-cold" \
  "$wine $win --version" \
  "env BTM_DLX_DIR=$(hcache "$work/dlx-win") $wine $work/win-pressed.exe --version" \
  "env BTM_DLX_DIR=$(hcache "$work/dlx-win-cold") $wine $work/win-pressed.exe --version" >&2

if (( release )); then
  for jobs in 1 2; do
    rm -rf "$work/clone"
    git clone -q "$root" "$work/clone"
    start=$(date +%s%N)
    (cd "$work/clone" && ./build.sh --target=Release --platform=all --jobs=$jobs >"$work/release-$jobs.log" 2>&1) ||
      { cp "$work/release-$jobs.log" "/tmp/btm-bench-release-$jobs.log"; grep -E "^(fail|warn)|failed" "$work/release-$jobs.log" | tail -20 >&2
        echo "fail    the --jobs=$jobs Release failed; its log: /tmp/btm-bench-release-$jobs.log" >&2; exit 1; }
    echo $(( ($(date +%s%N) - start) / 1000000 )) > "$work/release-$jobs.time"
  done
fi

python3 - "$work" "$release" <<'PY'
import json, sys
work, release = sys.argv[1], sys.argv[2] == "1"
for name, label in (("qemu", "linux-arm64 under qemu-aarch64"), ("wine", "win32-x64 under wine")):
    direct, warm, cold = (json.load(open(f"{work}/{name}.json"))["results"][i]["mean"] for i in range(3))
    print(f"{label}: direct {direct * 1000:.0f} ms; warm ÷ direct {warm / direct:.2f}; cold ÷ direct {cold / direct:.2f}")
if release:
    one, two = (int(open(f"{work}/release-{j}.time").read()) / 1000 for j in (1, 2))
    print(f"fresh seven-target Release: --jobs=1 {one:.0f} s, --jobs=2 {two:.0f} s; jobs 2 ÷ 1 {two / one:.2f}")
PY
