using System.Security.Cryptography;
using Btm.Core.Release;

namespace Btm.Build.Publishing;

/// <summary>
/// One Publish of one release: what it publishes, where, and what it has written so far. The
/// claim, the tag moves and the rollback all read and record here, so a rollback undoes exactly
/// what this run wrote.
/// </summary>
public sealed class PublishRun(BuildContext context, string releaseDir, ReleaseManifest manifest, RegistryClient registry,
    NpmCredentials credentials, string tag, bool dryRun, string registryName)
{
    /// <summary>Each run publishes under btm-run-&lt;random&gt;: the registry itself then records which run wrote a version.</summary>
    public const string RunTagPrefix = "btm-run-";

    /// <summary>On the claim package, btm-moving-&lt;tag&gt; names the version whose release is moving that tag.</summary>
    public const string MovingTagPrefix = "btm-moving-";

    /// <summary>The deprecation message a rolled-back version carries; a later complete release of it lifts it.</summary>
    public const string FailedReleasePrefix = "failed release";

    // Each request mostly waits on the network; beyond this, registries throttle.
    public const int MaxParallel = 6;

    public BuildContext Context => context;
    public string ReleaseDir => releaseDir;
    public ReleaseManifest Manifest => manifest;
    public RegistryClient Registry => registry;
    public NpmCredentials Credentials => credentials;
    public string Tag => tag;
    public bool DryRun => dryRun;
    public string RegistryName => registryName;

    public PublishReport Report { get; } = new();

    public string RunTag { get; } = RunTagPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    public string MovingTag => MovingTagPrefix + tag;

    public ManifestPackage Claim { get; } = ClaimPackage(manifest);

    // The claim package's version names the release on the registry (a package may carry its own version).
    public string Version => Claim.Version;

    public IEnumerable<ManifestPackage> Platforms => manifest.Packages.Where(p => p.Kind == ManifestPackage.PlatformKind);

    public IEnumerable<ManifestPackage> Wrappers => manifest.Packages.Where(p => p.Kind == ManifestPackage.WrapperKind);

    /// <summary>Packages this run wrote itself (by name).</summary>
    public HashSet<string> Ours { get; } = new(StringComparer.Ordinal);

    /// <summary>Tags this run moved, with where each pointed before, in the order moved.</summary>
    public List<(string Name, string? Previous)> Moved { get; } = [];

    /// <summary>This run published the claim package's version, so it holds the release.</summary>
    public bool Holder { get; set; }

    /// <summary>This run set btm-moving-&lt;tag&gt; on the claim package.</summary>
    public bool MarkerSet { get; set; }

    /// <summary>
    /// The package whose version is the release's claim: publishing a version is the one
    /// test-and-set an npm registry offers, and the run tag on it names the holder.
    /// </summary>
    public static ManifestPackage ClaimPackage(ReleaseManifest manifest) =>
        manifest.Packages.Where(p => p.Kind == ManifestPackage.WrapperKind).OrderBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault()
        ?? manifest.Packages.OrderBy(p => p.Name, StringComparer.Ordinal).First();

    /// <summary>Runs one request per package, at most <see cref="MaxParallel"/> at a time.</summary>
    public async Task<T[]> ForEachAsync<T>(IEnumerable<ManifestPackage> packages, Func<ManifestPackage, Task<T>> request)
    {
        using var gate = new SemaphoreSlim(MaxParallel);
        return await Task.WhenAll(packages.Select(async p =>
        {
            await gate.WaitAsync();
            try
            {
                return await request(p);
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    /// <summary>The same, for requests that answer nothing.</summary>
    public Task ForEachAsync(IEnumerable<ManifestPackage> packages, Func<ManifestPackage, Task> request) =>
        ForEachAsync(packages, async p =>
        {
            await request(p);
            return true;
        });

    public static string FirstLine(Exception e) => e.Message.Split('\n')[0];
}
