using Btm.Core.Platforms;

namespace Btm.Core.Model;

/// <summary>The <c>[Btm]</c> section of cake.config.</summary>
public sealed record RepoSettings(string Scope, string Version, IReadOnlyList<string> DefaultTargets)
{
    public const string FileName = "cake.config";
    public const string Section = "Btm";

    /// <summary>The default targets with <c>host</c> replaced by the given host platform.</summary>
    public IReadOnlyList<PlatformId> ResolveDefaultTargets(PlatformId host) =>
        DefaultTargets.Select(t => t == "host" ? host : PlatformId.Parse(t)).Distinct().ToList();
}
