using Cake.Core.IO;

namespace Btm.Cake.Npm;

/// <summary>Settings for <c>npm publish &lt;tarball&gt; --tag &lt;tag&gt;</c>: the tarball goes out as it is, never repacked.</summary>
public sealed class NpmPublishSettings : NpmSettings
{
    public required FilePath Tarball { get; init; }
    public required string Tag { get; init; }

    /// <summary>--access; scoped packages are private on npmjs.com unless published public.</summary>
    public string Access { get; init; } = "public";

    public bool DryRun { get; init; }
}
