#!/usr/bin/env pwsh
# Entry point on Windows: a thin mirror of build.sh. -Target X becomes --target=X; every other
# argument reaches the BTM host unchanged (./build.ps1 -Target Build --package=binflate).
[CmdletBinding()]
param(
    [string]$Target = "",
    [Parameter(ValueFromRemainingArguments = $true)][string[]]$Rest = @()
)
$ErrorActionPreference = "Stop"
$root = $PSScriptRoot
$out = Join-Path $root ".btm/host"
$hostDll = Join-Path $out "Btm.Build.dll"
$stamp = Join-Path $out ".built"

$needsBuild = -not (Test-Path $hostDll) -or -not (Test-Path $stamp)
if (-not $needsBuild) {
    $built = (Get-Item $stamp).LastWriteTimeUtc
    $sources = @(Get-ChildItem -Recurse -File -Path (Join-Path $root "build"), (Join-Path $root "tools") -Include *.cs, *.csproj, *.props, *.targets, *.json, *.js |
        Where-Object { $_.FullName -notmatch '[\\/](obj|bin)[\\/]' })
    $sources += @(Get-Item (Join-Path $root "Directory.Build.props"), (Join-Path $root "Directory.Build.targets"), (Join-Path $root "global.json"))
    $needsBuild = [bool]($sources | Where-Object { $_.LastWriteTimeUtc -gt $built } | Select-Object -First 1)
}
if ($needsBuild) {
    Write-Host "info    building the BTM host (.btm/host)"
    $rid = [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
    & dotnet publish (Join-Path $root "build/Btm.Build.csproj") -c Release -r $rid --self-contained false -p:PublishReadyToRun=true -o $out -nologo -v quiet
    if ($LASTEXITCODE -ne 0) { & dotnet build (Join-Path $root "build/Btm.Build.csproj") -c Release -o $out -nologo -v quiet }
    if ($LASTEXITCODE -ne 0) { Write-Host "fail    the BTM host did not build (output above)"; exit 1 }
    New-Item -ItemType File -Force -Path $stamp | Out-Null
}
$arguments = @("--root=$root")
if ($Target) { $arguments += "--target=$Target" }
$arguments += $Rest
& dotnet $hostDll @arguments
exit $LASTEXITCODE
