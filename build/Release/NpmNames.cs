using Btm.Core.Model;
using Btm.Core.Platforms;

namespace Btm.Build.Release;

/// <summary>npm names: @scope/name (wrapper) and @scope/name-&lt;platform&gt; (one per target).</summary>
public static class NpmNames
{
    public static string Wrapper(RepoSettings settings, PackageManifest package) => $"{settings.Scope}/{package.Name}";

    public static string Platform(RepoSettings settings, PackageManifest package, PlatformId platform) =>
        $"{settings.Scope}/{package.Name}-{platform}";

    /// <summary>A folder name for staging: the npm name without '@' and '/'.</summary>
    public static string Flat(string npmName) => npmName.TrimStart('@').Replace('/', '-');
}
