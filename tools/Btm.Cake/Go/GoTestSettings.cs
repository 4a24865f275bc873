using Cake.Core.Tooling;

namespace Btm.Cake.Go;

/// <summary>Settings for <c>go test</c> of packages; the target and module behaviour in the environment, as for <see cref="GoBuildSettings"/>.</summary>
public sealed class GoTestSettings : ToolSettings
{
    public IList<string> Packages { get; init; } = ["./..."];

    public bool TrimPath { get; init; } = true;

    public bool BuildVcs { get; init; }

    public string? Mod { get; init; }

    public IList<string> Tags { get; init; } = [];

    /// <summary>-exec: the program that runs a cross-built test binary (an emulator and its arguments), or empty to run it directly.</summary>
    public IList<string> Exec { get; init; } = [];
}
