namespace Btm.Build.Publishing;

/// <summary>
/// A verdaccio storage folder as BTM runs it (root/config.yaml, root/storage, root/htpasswd):
/// the one place its config is written and its crash leftovers are cleared.
/// </summary>
public static class VerdaccioStorage
{
    /// <summary>
    /// No uplinks: the registry never proxies to the public one, so it holds exactly what was
    /// published to it. JWT API tokens: with verdaccio's legacy tokens it re-checks the password
    /// (bcrypt, about 65 ms of its single thread) on every authenticated request.
    /// <paramref name="firstPackageRules"/> (YAML at the rules' indent) go ahead of the defaults.
    /// </summary>
    public static string Config(string root, string firstPackageRules = "") => $$"""
        # Written by BTM on every start; edit BTM's VerdaccioStorage, not this file.
        storage: {{Path.Combine(root, "storage")}}
        auth:
          htpasswd:
            file: {{Path.Combine(root, "htpasswd")}}
            max_users: 1000
        uplinks: {}
        # A single-executable app's platform package carries a whole Node runtime (30-40 MB, more
        # as the base64 of a publish request); verdaccio's default limit is 10 MB.
        max_body_size: 300mb
        packages:
        {{firstPackageRules}}  '@*/*':
            access: $all
            publish: $authenticated
            unpublish: $authenticated
          '**':
            access: $all
            publish: $authenticated
            unpublish: $authenticated
        security:
          api:
            legacy: false
            jwt: { sign: { expiresIn: 30d } }
        log: { type: stdout, format: pretty, level: warn }
        """;

    /// <summary>
    /// Deletes the package.json.lock files a verdaccio killed mid-write leaves behind (it would
    /// wait five minutes before treating one as stale, stalling every write to that package).
    /// Only safe while no verdaccio serves this storage. Returns them relative to the root.
    /// </summary>
    public static IReadOnlyList<string> RemoveStaleLocks(string root)
    {
        var storage = Path.Combine(root, "storage");
        if (!Directory.Exists(storage))
            return [];
        var removed = new List<string>();
        foreach (var stale in Directory.GetFiles(storage, "*.lock", SearchOption.AllDirectories))
        {
            File.Delete(stale);
            removed.Add(Path.GetRelativePath(root, stale));
        }
        return removed;
    }
}
