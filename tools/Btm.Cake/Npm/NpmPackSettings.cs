using Cake.Core.IO;

namespace Btm.Cake.Npm;

/// <summary>Settings for <c>npm pack &lt;folder&gt; --pack-destination &lt;dir&gt; --json</c>.</summary>
public sealed class NpmPackSettings : NpmSettings
{
    public required DirectoryPath Source { get; init; }
    public required DirectoryPath Destination { get; init; }
}
