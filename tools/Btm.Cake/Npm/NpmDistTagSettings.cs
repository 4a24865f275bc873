namespace Btm.Cake.Npm;

/// <summary>Settings for <c>npm dist-tag add|rm</c>.</summary>
public sealed class NpmDistTagSettings : NpmSettings
{
    public required string Name { get; init; }
    public required string Tag { get; init; }

    /// <summary>The version to point the tag at; null removes the tag.</summary>
    public string? Version { get; init; }
}
