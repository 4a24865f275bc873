#!/usr/bin/env bash
# Installers for one package (binflate: deb and rpm for linux-x64 and linux-arm64, the Windows
# installer and zip, tar.gz for linux and darwin, the Homebrew formula, the Scoop manifest, with
# Authenticode signing by a throwaway certificate): what they add to Package ÷ the Package without
# them (goal <= 0.5), paired runs of two clones that differ only in binflate's installers section;
# then each installer's size ÷ the program it carries.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
command -v farm-bench >/dev/null || { echo "fail    farm-bench is needed (the tool library's paired timer)" >&2; exit 1; }
platforms="linux-x64,linux-arm64,win32-x64,darwin-arm64"
for clone in with without; do
  git clone -q "$root" "$work/$clone"
  ln -s "$root/node_modules" "$work/$clone/node_modules"
done
python3 - "$work/without/packages/binflate/btm.json" <<'PY'
import json, sys
p = sys.argv[1]; d = json.load(open(p)); d.pop("installers", None)
open(p, "w").write(json.dumps(d, indent=2) + "\n")
PY
git -C "$work/without" -c user.name=bench -c user.email=bench@example.org commit -qam "bench: no installers"
# Both clones sign their win32 programs with one throwaway certificate, so the gap is the installers.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 2 -subj "/CN=BTM bench" \
  -addext extendedKeyUsage=codeSigning 2>/dev/null
openssl pkcs12 -export -inkey "$work/key.pem" -in "$work/cert.pem" -out "$work/cert.p12" -passout pass:bench
export BTM_AUTHENTICODE_CERT="$work/cert.p12" BTM_AUTHENTICODE_PASSWORD=bench
args=(--target=Package --package=binflate "--platform=$platforms" --mode=prod --partial --verbosity=quiet)
for clone in with without; do
  echo "info    warming $clone (builds binflate for $platforms once)" >&2
  (cd "$work/$clone" && ./build.sh "${args[@]}" >/dev/null)
done
farm-bench -n 3 --warmup 0 --timeout 900 --vs "sh -c 'cd $work/without && exec ./build.sh ${args[*]}'" \
  -- sh -c "cd $work/with && exec ./build.sh ${args[*]}" | tee "$work/pairs.txt" >&2
python3 - "$work/pairs.txt" "$work/with/artifacts/0.1.0" "$work/with/packages/binflate/build/prod" <<'PY'
import json, os, re, sys
text = open(sys.argv[1]).read()
def median(row):
    m = re.search(r"^A/B " + row + r"\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)", text, re.M)
    return float(m.group(2)) if m else float("nan")
wall, cpu = median("wall"), median("cpu")
print(f"Package with installers ÷ without, median of paired runs: wall {wall:.3f}, cpu {cpu:.3f}")
print(f"installers ÷ Package without them: wall {wall - 1:.3f}, cpu {cpu - 1:.3f} (goal <= 0.5)")
manifest = json.load(open(os.path.join(sys.argv[2], "manifest.json")))
raw = {}
for platform in ["linux-x64", "linux-arm64", "win32-x64", "darwin-arm64"]:
    exe = "binflate.exe" if platform.startswith("win32") else "binflate"
    for stage in ["Final", "Stripped"]:
        path = os.path.join(sys.argv[3], platform, "out", stage, exe)
        if os.path.exists(path):
            raw[platform] = os.path.getsize(path); break
print(f"{'installer':45} {'bytes':>9} {'÷ program':>9}")
for i in sorted(manifest["installers"], key=lambda i: i["file"]):
    base = raw.get(i["platform"])
    print(f"{os.path.basename(i['file']):45} {i['size']:9d} {(i['size'] / base) if base else float('nan'):9.2f}")
print("programs: " + ", ".join(f"{p} {s} bytes" for p, s in raw.items()))
PY
