using Btm.Core.Model;
using System.Text;

namespace Btm.Build.Pipeline;

/// <summary>One program of a toolchain: what was asked for, where it was found, what it says its version is.</summary>
public sealed record ToolIdentity(string Command, string? Path, string? VersionOutput)
{
    public string FirstVersionLine => VersionOutput?.Split('\n')[0].Trim() ?? "";

    /// <summary>"version (path)", as the release manifest records it.</summary>
    public string Summary => Path is null ? $"{Command} (not found)" : FirstVersionLine.Length > 0 ? $"{FirstVersionLine} ({Path})" : Path;
}

/// <summary>
/// What makes two machines' outputs differ even with identical sources: the toolchain row and
/// target triple, the compiler and builder with their versions, strip, the emulator. Probed once
/// per run per target and builder; rendered to text only for the cache key and the work-tree stamp.
/// </summary>
public sealed record ToolchainIdentity(
    string Toolchain,
    string? Triple,
    ToolIdentity Compiler,
    ToolIdentity Builder,
    ToolIdentity Strip,
    IReadOnlyList<string>? Emulator)
{
    /// <summary>zig's -target with its glibc floor ("aarch64-linux-gnu.2.17"): it decides which symbols binaries link against.</summary>
    public string? ZigTarget { get; init; }

    public static ToolchainIdentity Probe(Toolchain toolchain, ToolRequirement builder, Func<string, string?> find, Func<string, string[], string> output)
    {
        ToolIdentity Tool(string command, string? versionArgument)
        {
            var path = find(command);
            return new ToolIdentity(command, path, path is not null && versionArgument is not null ? output(path, [versionArgument]) : null);
        }
        return new ToolchainIdentity(toolchain.Id, toolchain.Triple, Tool(toolchain.CCompiler, "--version"), Tool(builder.Command!, builder.VersionArgument),
            Tool(toolchain.Strip, null), toolchain.Emulator) { ZigTarget = toolchain.ZigTarget };
    }

    /// <summary>With where each tool was found: the work-tree stamp, for diagnostics.</summary>
    public string Render() => Render(withPaths: true);

    /// <summary>
    /// For the cache key: each tool by its name and what it says its version is, never by where it
    /// is installed, so a laptop with cmake in /usr/bin and a CI runner with it in /usr/local/bin
    /// (or two clones, each with its own zig) share remote-cache entries.
    /// </summary>
    public string RenderKey() => Render(withPaths: false);

    /// <summary>
    /// What BTM's stages put into their outputs, beyond what the tools write: raised when that
    /// changes (2: licence texts and THIRD-PARTY-NOTICES.md in compiled outputs), so checkpoints
    /// made by an older BTM are rebuilt rather than restored.
    /// </summary>
    public const int OutputsEpoch = 2;

    private string Render(bool withPaths)
    {
        var text = new StringBuilder();
        text.Append("btm outputs: ").Append(OutputsEpoch).Append('\n');
        text.Append("toolchain: ").Append(Toolchain).Append(Triple is null ? "" : " " + Triple).Append(ZigTarget is null ? "" : " " + ZigTarget).Append('\n');
        foreach (var (role, tool) in new[] { ("compiler", Compiler), ("builder", Builder), ("strip", Strip) })
        {
            var where = tool.Path is null ? tool.Command + " (not found)" : withPaths ? tool.Path : System.IO.Path.GetFileName(tool.Path);
            text.Append(role).Append(": ").Append(where).Append('\n');
            if (tool.VersionOutput is not null)
                text.Append(withPaths ? tool.VersionOutput : Unpathed(tool)).Append('\n');
        }
        if (Emulator is { Count: > 0 })
            text.Append("emulator: ").Append(withPaths ? string.Join(' ', Emulator) : System.IO.Path.GetFileName(Emulator[0])).Append('\n');
        return text.ToString().TrimEnd('\n');
    }

    /// <summary>Version output without the tool's own folder (clang and zig print their install directory).</summary>
    private static string Unpathed(ToolIdentity tool)
    {
        var output = tool.VersionOutput!;
        var folder = tool.Path is null ? null : System.IO.Path.GetDirectoryName(tool.Path);
        return string.Join('\n', output.Split('\n').Where(line => !line.StartsWith("InstalledDir:", StringComparison.Ordinal))
            .Select(line => folder is null ? line : line.Replace(folder, "<dir>", StringComparison.Ordinal)));
    }
}
