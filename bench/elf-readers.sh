#!/usr/bin/env bash
# BTM's executable-header readers (ExecutableTarget, ElfInterpreter, GlibcSymbolVersions) against
# LibObjectFile 2.3.1 reading the same facts from one file, each in its own process, in
# alternating pairs: wall time of the read (JIT included: Package reads each binary once) and
# bytes allocated. Default inputs: /usr/bin/node (a 94 MiB ELF) and /usr/bin/git; a PE when given.
# Prints LibObjectFile ÷ BTM, medians over the pairs. The decision is in docs/architecture.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pairs="${PAIRS:-5}"
inputs=("$@")
(( ${#inputs[@]} > 0 )) || inputs=(/usr/bin/node /usr/bin/git)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dotnet build "$root/bench/elf-readers" -c Release -o "$work/bin" -nologo -v quiet >/dev/null
for input in "${inputs[@]}"; do
  btm_ms=() lof_ms=() btm_alloc=() lof_alloc=()
  for ((i = 0; i < pairs; i++)); do
    read -r ms alloc rest < <(dotnet "$work/bin/elf-readers.dll" btm "$input"); btm_ms+=("$ms"); btm_alloc+=("$alloc"); btm_what="$rest"
    read -r ms alloc rest < <(dotnet "$work/bin/elf-readers.dll" libobjectfile "$input"); lof_ms+=("$ms"); lof_alloc+=("$alloc"); lof_what="$rest"
  done
  python3 - "$input" "${btm_ms[*]}" "${lof_ms[*]}" "${btm_alloc[*]}" "${lof_alloc[*]}" "$btm_what" "$lof_what" <<'PY'
import statistics, sys
name, bm, lm, ba, la, bw, lw = sys.argv[1:]
med = lambda s: statistics.median(float(x) for x in s.split())
print(f"{name} ({bw} | {lw})")
print(f"  read time  BTM {med(bm):8.1f} ms   LibObjectFile {med(lm):8.1f} ms   ratio {med(lm) / med(bm):.2f}")
print(f"  allocated  BTM {med(ba) / 2**20:8.1f} MiB  LibObjectFile {med(la) / 2**20:8.1f} MiB  ratio {med(la) / med(ba):.2f}")
PY
done
