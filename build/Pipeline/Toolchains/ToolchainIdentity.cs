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
    public static ToolchainIdentity Probe(Toolchain toolchain, string builderCommand, Func<string, string?> find, Func<string, string> versionOf)
    {
        ToolIdentity Tool(string command, bool withVersion)
        {
            var path = find(command);
            return new ToolIdentity(command, path, path is not null && withVersion ? versionOf(path) : null);
        }
        return new ToolchainIdentity(toolchain.Id, toolchain.Triple, Tool(toolchain.CCompiler, true), Tool(builderCommand, true),
            Tool(toolchain.Strip, false), toolchain.Emulator);
    }

    public string Render()
    {
        var text = new StringBuilder();
        text.Append("toolchain: ").Append(Toolchain).Append(Triple is null ? "" : " " + Triple).Append('\n');
        foreach (var (role, tool) in new[] { ("compiler", Compiler), ("builder", Builder), ("strip", Strip) })
        {
            text.Append(role).Append(": ").Append(tool.Path ?? tool.Command + " (not found)").Append('\n');
            if (tool.VersionOutput is not null)
                text.Append(tool.VersionOutput).Append('\n');
        }
        if (Emulator is { Count: > 0 })
            text.Append("emulator: ").Append(string.Join(' ', Emulator)).Append('\n');
        return text.ToString().TrimEnd('\n');
    }
}
