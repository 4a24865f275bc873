using Btm.Core.Model;

namespace Btm.Build.Pipeline.Sources;

/// <summary>
/// One way to get a source archive (a URL mirror, a Debian source package …). Adding one is this
/// interface plus a line in <see cref="SourceFetchers.Default"/>.
/// </summary>
public interface ISourceFetcher
{
    /// <summary>The places this fetcher would try for <paramref name="source"/>, in order (empty: not for this source).</summary>
    IReadOnlyList<string> Places(SourceSpec source);

    /// <summary>Writes the archive from <paramref name="place"/> to <paramref name="destination"/>; null on success, else why not.</summary>
    string? Fetch(BuildContext context, SourceSpec source, string place, string destination);
}

public static class SourceFetchers
{
    /// <summary>In order: Debian's source packages (this machine's apt), then the URL mirrors.</summary>
    public static IReadOnlyList<ISourceFetcher> Default { get; } = [new DebianSourceFetcher(), new UrlFetcher()];
}
