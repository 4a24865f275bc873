using Btm.Core.Model;
using Btm.Core.Platforms;

namespace Btm.Build.Pipeline;

/// <summary>
/// Picks the toolchain row for a target (cake.config's choice, else the table's first row that
/// builds it from this host) and fills in its commands. Native builds honour CC/CXX/STRIP.
/// </summary>
public sealed class ToolchainResolver(
    PlatformId host,
    IReadOnlyList<ToolchainDefinition> table,
    IReadOnlyDictionary<string, string> chosen,
    Func<string, string?> environment,
    Func<string, string?> findTool)
{
    public PlatformId Host { get; } = host;

    /// <summary>Checks cake.config's Toolchains= against the table before anything runs.</summary>
    public static void Validate(IReadOnlyDictionary<string, string> chosen, IReadOnlyList<ToolchainDefinition> table, PlatformId host)
    {
        foreach (var (target, id) in chosen)
        {
            var definition = table.FirstOrDefault(d => d.Id == id)
                ?? throw new ConfigException(RepoSettings.FileName, "[Btm] Toolchains", $"'{target}:{id}' names an unknown toolchain",
                    $"use one of: {string.Join(", ", table.Select(d => d.Id))}");
            if (!definition.Builds(host, PlatformId.Parse(target)))
                throw new ConfigException(RepoSettings.FileName, "[Btm] Toolchains", $"toolchain '{id}' does not build {target} on a {host.Os} host",
                    $"use one of: {string.Join(", ", table.Where(d => d.Builds(host, PlatformId.Parse(target))).Select(d => d.Id).DefaultIfEmpty("(none here)"))}");
        }
    }

    public Toolchain Resolve(PlatformId target)
    {
        var definition = chosen.TryGetValue(target.ToString(), out var id)
            ? table.First(d => d.Id == id)
            : table.FirstOrDefault(d => d.Builds(Host, target));
        if (definition is null)
        {
            var reason = target.Os == "darwin"
                ? "darwin targets need the macOS SDK: build them on a macOS runner"
                : $"{target} is not cross-built from {Host.Os}: build it on a {target.Os} runner";
            return new Toolchain("none", target, null, "", null, "", "", "", Cake.Strip.StripFlavor.Gnu, true, null, null, reason, reason);
        }

        var processor = target.Cpu == "arm64" ? "aarch64" : "x86_64";
        var triple = definition.Triple?.Replace("{processor}", processor);
        string Fill(string text) => text.Replace("{triple}", triple ?? "").Replace("{processor-dashed}", processor.Replace('_', '-'))
            .Replace("{processor}", processor).Replace("{target}", target.ToString()).Replace("{cpu}", target.Cpu);

        var native = definition.HostOnly;
        var cc = native ? environment("CC") ?? Fill(definition.CC) : Fill(definition.CC);
        var cxx = definition.Cxx is null ? null : native ? environment("CXX") ?? Fill(definition.Cxx) : Fill(definition.Cxx);
        var strip = native ? environment("STRIP") ?? Fill(definition.Strip) : Fill(definition.Strip);
        var hint = definition.Install.TryGetValue(Host.Os, out var h) ? Fill(h) : $"install the {definition.Id} toolchain";
        if (native && Host.Musl)
            hint = "apk add build-base";
        IReadOnlyList<string>? emulator = null;
        foreach (var candidate in definition.Emulators)
        {
            if (findTool(Fill(candidate[0])) is { } path)
            {
                emulator = [path, .. candidate.Skip(1).Select(Fill)];
                break;
            }
        }
        return new Toolchain(definition.Id, target, triple, cc, cxx, Fill(definition.Ar), Fill(definition.Ranlib), strip,
            definition.StripFlavor, !native, native ? null : definition.CMakeSystemName,
            definition.CMakeProcessor.TryGetValue(target.Cpu, out var p) ? p : null, hint, null) { Emulator = emulator, RunsHere = definition.RunsHere };
    }
}
