namespace Btm.Core.Keys;

/// <summary>
/// The digest of each class of input that goes into a package key. Stored beside each
/// checkpoint so that a miss can say which class changed instead of just "rebuilding".
/// </summary>
public sealed record KeyComponents(
    string Files,
    string Manifest,
    string Toolchain,
    string Environment,
    string Target,
    string Dependencies)
{
    public IEnumerable<(string Name, string Digest)> Named()
    {
        yield return ("files", Files);
        yield return ("manifest", Manifest);
        yield return ("toolchain", Toolchain);
        yield return ("environment", Environment);
        yield return ("target", Target);
        yield return ("dependencies", Dependencies);
    }

    /// <summary>The full key: a digest over every component, each under its own label.</summary>
    public string Key
    {
        get
        {
            var digest = new KeyDigest("btm-key/1");
            foreach (var (name, value) in Named())
                digest.Add(name, value);
            return digest.Hex();
        }
    }

    /// <summary>Names of the components that differ, e.g. ["files", "toolchain"].</summary>
    public IReadOnlyList<string> DifferencesFrom(KeyComponents other) =>
        Named().Zip(other.Named()).Where(p => p.First.Digest != p.Second.Digest).Select(p => p.First.Name).ToList();
}
