// `dotnet cake --target=X` entry point. Tasks live in the compiled host (build/), not here, so
// build.sh, build.ps1 and this file run one task graph: this script only forwards its arguments.
var root = Context.Environment.WorkingDirectory.FullPath;
var hostDir = $"{root}/.btm/host";

// Same host build as build.sh, and like it only when the host's sources changed since the last one:
// ReadyToRun for start-up time, a plain build as the fallback.
var stamp = $"{root}/.btm/host/.built";
var extensions = new[] { ".cs", ".csproj", ".props", ".targets", ".json", ".js" };
// Stops at the first newer source and never walks bin/ or obj/ (most of the files under tools/).
bool NewerThan(string dir, DateTime time) =>
    System.IO.Directory.EnumerateFiles(dir).Any(f => extensions.Contains(System.IO.Path.GetExtension(f)) && System.IO.File.GetLastWriteTimeUtc(f) > time)
    || System.IO.Directory.EnumerateDirectories(dir).Where(d => System.IO.Path.GetFileName(d) is not ("bin" or "obj")).Any(d => NewerThan(d, time));
var stale = !System.IO.File.Exists($"{hostDir}/Btm.Build.dll") || !System.IO.File.Exists(stamp);
if (!stale)
{
    var built = System.IO.File.GetLastWriteTimeUtc(stamp);
    stale = NewerThan($"{root}/build", built) || NewerThan($"{root}/tools", built)
        || new[] { "Directory.Build.props", "Directory.Build.targets", "global.json" }.Any(f => System.IO.File.GetLastWriteTimeUtc($"{root}/{f}") > built);
}
if (stale)
{
    Information("info    building the BTM host (.btm/host)");
    var rid = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;
    var build = StartProcess("dotnet", new ProcessSettings
    {
        Arguments = new ProcessArgumentBuilder()
            .Append("publish").AppendQuoted($"{root}/build/Btm.Build.csproj")
            .Append("-c").Append("Release").Append("-r").Append(rid).Append("--self-contained").Append("false")
            .Append("-p:PublishReadyToRun=true").Append("-o").AppendQuoted(hostDir)
            .Append("-nologo").Append("-v").Append("quiet"),
    });
    if (build != 0)
    {
        build = StartProcess("dotnet", new ProcessSettings
        {
            Arguments = new ProcessArgumentBuilder()
                .Append("build").AppendQuoted($"{root}/build/Btm.Build.csproj")
                .Append("-c").Append("Release").Append("-o").AppendQuoted(hostDir)
                .Append("-nologo").Append("-v").Append("quiet"),
        });
    }
    if (build != 0)
        throw new CakeException(1, "the BTM host did not build (output above)");
    System.IO.File.WriteAllText(stamp, "");
}

var forwarded = new ProcessArgumentBuilder()
    .AppendQuoted($"{hostDir}/Btm.Build.dll")
    .AppendQuoted($"--root={root}");
foreach (var argument in Context.Arguments.GetArguments())
{
    foreach (var value in argument.Value)
    {
        // Cake hands flags (--force) over with no value; pass them on as flags.
        forwarded.AppendQuoted(string.IsNullOrEmpty(value) ? $"--{argument.Key}" : $"--{argument.Key}={value}");
    }
}
var exitCode = StartProcess("dotnet", new ProcessSettings { Arguments = forwarded });
if (exitCode != 0)
    throw new CakeException(exitCode, $"the BTM host exited with code {exitCode}");
