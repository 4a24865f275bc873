#!/usr/bin/env bash
# Entry point on Linux and macOS: builds the BTM host when its sources changed, then runs it with
# every argument unchanged (./build.sh --target=Build --package=binflate --mode=prod).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$root/.btm/host"
host="$out/Btm.Build.dll"
stamp="$out/.built"

# Rebuilding only on change keeps a no-op build close to bare process start-up.
needs_build=0
if [[ ! -f "$host" || ! -f "$stamp" ]]; then
  needs_build=1
elif [[ -n "$(find "$root/build" "$root/tools" "$root/Directory.Build.props" "$root/Directory.Build.targets" "$root/global.json" \
        -newer "$stamp" \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.targets' -o -name '*.json' -o -name '*.js' \) \
        -not -path '*/obj/*' -not -path '*/bin/*' -print -quit)" ]]; then
  needs_build=1
fi
if [[ $needs_build == 1 ]]; then
  echo "info    building the BTM host (.btm/host)" >&2
  log="$(mktemp)"
  # ReadyToRun (precompiled) roughly halves start-up; a plain build is the fallback where the
  # crossgen package cannot be restored.
  rid="$(dotnet --info | awk '/^ *RID:/ {print $2; exit}')"
  if ! dotnet publish "$root/build/Btm.Build.csproj" -c Release -r "$rid" --self-contained false \
        -p:PublishReadyToRun=true -o "$out" -nologo -v quiet >"$log" 2>&1 &&
     ! dotnet build "$root/build/Btm.Build.csproj" -c Release -o "$out" -nologo -v quiet >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "fail    the BTM host did not build (output above)" >&2
    exit 1
  fi
  rm -f "$log"
  touch "$stamp"
fi
exec dotnet "$host" --root="$root" "$@"
