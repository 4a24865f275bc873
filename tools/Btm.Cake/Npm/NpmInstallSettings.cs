using Cake.Core.IO;

namespace Btm.Cake.Npm;

/// <summary>Settings for <c>npm install</c> in a project folder, optionally as if on another platform.</summary>
public sealed class NpmInstallSettings : NpmSettings
{
    public required DirectoryPath Prefix { get; init; }

    /// <summary>Package specs (tarball paths, name@version); empty installs the folder's package.json.</summary>
    public IList<string> Packages { get; init; } = [];

    public string? Os { get; init; }
    public string? Cpu { get; init; }
    public string? Libc { get; init; }

    public bool NoSave { get; init; }
}
