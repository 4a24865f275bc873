using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Btm.Cake.Go;

/// <summary>
/// Settings for <c>go build</c> of one main package into one file. The target and module
/// behaviour travel in <see cref="ToolSettings.EnvironmentVariables"/> (GOOS, GOARCH,
/// CGO_ENABLED …), as Go reads them.
/// </summary>
public sealed class GoBuildSettings : ToolSettings
{
    /// <summary>The main package, as go names it ("." or "./cmd/tool"), relative to <see cref="ToolSettings.WorkingDirectory"/>.</summary>
    public required string Package { get; init; }

    public required FilePath Output { get; init; }

    /// <summary>-trimpath: no file-system path of the build machine in the binary.</summary>
    public bool TrimPath { get; init; } = true;

    /// <summary>-buildvcs: false keeps the revision of whatever repository encloses the module out of the binary.</summary>
    public bool BuildVcs { get; init; }

    /// <summary>-mod=vendor, readonly or mod; null leaves it to go.</summary>
    public string? Mod { get; init; }

    public IList<string> LdFlags { get; init; } = [];

    public IList<string> Tags { get; init; } = [];
}
