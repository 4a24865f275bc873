namespace Btm.Cake.Npm;

/// <summary>Settings for npm commands on one name@version: view, unpublish, deprecate.</summary>
public sealed class NpmSpecSettings : NpmSettings
{
    public required string Name { get; init; }

    /// <summary>Null means the whole package (unpublish only).</summary>
    public required string? Version { get; init; }

    /// <summary>For view: the field to print (e.g. dist.integrity). For deprecate: the message ("" clears it).</summary>
    public string? Argument { get; init; }

    public string Spec => Version is null ? Name : $"{Name}@{Version}";
}
