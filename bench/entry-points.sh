#!/usr/bin/env bash
# The entry points on a no-op target (Empty), in one run on one machine:
#   dotnet cake --target=Empty ÷ ./build.sh --target=Empty   (goal <= 2)
# and, as the peers that show where the time goes, Cake.Tool running an empty cached script (the
# least any build.cake costs with this Cake version) and `dotnet cake --version` (the least any
# `dotnet cake` costs: the SDK finding the local tool in the manifest and starting it, Cake
# printing its version): their ratios to build.sh, and what build.cake adds on top of the empty
# script. Last, what the SDK's local-tool dispatch costs by itself: a one-line program packed as a
# local tool, run as `dotnet <command>` and as `dotnet <its dll>`. Needs hyperfine (apt-get install
# hyperfine).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v hyperfine >/dev/null || { echo "fail    hyperfine is needed: apt-get install hyperfine" >&2; exit 1; }
cd "$root"
dotnet tool restore >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Cake's floor: the same Cake.Tool and settings, a script that only logs one line.
cp dotnet-tools.json "$work/"
printf '[Settings]\nEnableScriptCache=true\n[Paths]\nCache=.btm/cake-cache\n' > "$work/cake.config"
echo 'Information("empty");' > "$work/build.cake"
(cd "$work" && dotnet tool restore >/dev/null && dotnet cake >/dev/null)

# The dispatch peer: a program that prints one line, as a local tool in a manifest of its own.
mkdir -p "$work/hello" "$work/tool"
cat > "$work/hello/hello.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <PackAsTool>true</PackAsTool>
    <ToolCommandName>dotnet-btmhello</ToolCommandName>
    <PackageId>btm-bench-hello</PackageId>
    <Version>1.0.0</Version>
  </PropertyGroup>
</Project>
XML
echo 'System.Console.WriteLine("hello");' > "$work/hello/Program.cs"
dotnet pack "$work/hello" -c Release -o "$work/feed" -nologo -v quiet >/dev/null
dotnet build "$work/hello" -c Release -o "$work/hello-bin" -nologo -v quiet >/dev/null
(cd "$work/tool" && dotnet new tool-manifest >/dev/null &&
  dotnet tool install btm-bench-hello --add-source "$work/feed" >/dev/null && dotnet btmhello >/dev/null)
echo "info    warming up: the host and both cached scripts"
./build.sh --target=Empty >/dev/null
dotnet cake --target=Empty >/dev/null

out="$work/result.json"
# Each through `bash -c 'cd … && exec …'`, so all four pay the same few ms and Cake finds its folder's cake.config.
hyperfine --warmup 2 --runs 15 --export-json "$out" -N \
  "bash -c 'cd $root && exec ./build.sh --target=Empty'" \
  "bash -c 'cd $root && exec dotnet cake --target=Empty'" \
  "bash -c 'cd $work && exec dotnet cake'" \
  "bash -c 'cd $work && exec dotnet cake --version'" \
  "bash -c 'cd $work/tool && exec dotnet btmhello'" \
  "bash -c 'cd $work/tool && exec dotnet $work/hello-bin/hello.dll'" >&2
python3 - "$out" <<'PY'
import json, sys
sh, cake, floor, dispatch, tool, direct = (x["median"] for x in json.load(open(sys.argv[1]))["results"])
print(f"./build.sh --target=Empty:           {sh * 1000:7.0f} ms (median)")
print(f"dotnet cake --target=Empty:          {cake * 1000:7.0f} ms")
print(f"Cake.Tool, empty cached script:      {floor * 1000:7.0f} ms")
print(f"dotnet cake --version:               {dispatch * 1000:7.0f} ms")
print(f"ratio dotnet cake / build.sh:        {cake / sh:.2f} (goal <= 2)")
print(f"ratio Cake's floor / build.sh:       {floor / sh:.2f} (what any build.cake costs at least)")
print(f"ratio dotnet cake --version / build.sh: {dispatch / sh:.2f} (what any dotnet cake costs at least)")
print(f"build.cake's own share:              {(cake - floor) * 1000:.0f} ms (forwarding to the host included)")
print(f"one-line local tool, dotnet <command>: {tool * 1000:5.0f} ms; as dotnet <dll>: {direct * 1000:.0f} ms")
print(f"the SDK's local-tool dispatch:       {(tool - direct) * 1000:.0f} ms ({(tool - direct) / sh:.2f} of build.sh: any dotnet cake pays it before its own start)")
PY
