namespace Btm.Core.Model;

/// <summary>Every package in the repo, validated as a whole: dependencies exist and form no cycle.</summary>
public sealed class PackageGraph
{
    private readonly Dictionary<string, PackageManifest> _byName;

    public IReadOnlyList<PackageManifest> TopologicalOrder { get; }

    private PackageGraph(Dictionary<string, PackageManifest> byName, IReadOnlyList<PackageManifest> order)
    {
        _byName = byName;
        TopologicalOrder = order;
    }

    public PackageManifest this[string name] => _byName[name];

    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>
    /// Loads the btm.json of every package folder cake.config's Packages= names (default
    /// <c>packages/*</c>); <paramref name="builders"/> are the accepted builders with their sections.
    /// </summary>
    public static PackageGraph Load(string repoRoot, IReadOnlyCollection<BuilderSpec> builders, IReadOnlyList<string>? folders = null)
    {
        var manifests = new List<PackageManifest>();
        foreach (var folder in folders ?? [RepoSettings.DefaultPackageFolders])
        {
            var each = folder.EndsWith("/*", StringComparison.Ordinal);
            var bare = each ? folder[..^2] : folder;
            string dir;
            try
            {
                // Resolved, not only normalized: a symlinked folder would take builds out of the repo.
                dir = IO.PathGuard.ResolveNoLinks(repoRoot, bare);
            }
            catch (InvalidDataException e)
            {
                throw new ConfigException(RepoSettings.FileName, "[Btm] Packages", $"'{folder}': {e.Message}", "name a real folder inside the repo, not a link");
            }
            if (!each && !File.Exists(Path.Combine(dir, PackageManifest.FileName)))
                throw new ConfigException(RepoSettings.FileName, "[Btm] Packages", $"'{folder}' has no {PackageManifest.FileName}",
                    $"create {folder}/{PackageManifest.FileName} (dotnet new btm-package), or write {folder}/* for a folder of packages, or remove it");
            var candidates = each ? (Directory.Exists(dir) ? Directory.GetDirectories(dir).Order(StringComparer.Ordinal).ToArray() : []) : [dir];
            foreach (var candidate in candidates)
            {
                var path = Path.Combine(candidate, PackageManifest.FileName);
                if (File.Exists(path))
                    manifests.Add(PackageManifestReader.Load(path, Path.GetRelativePath(repoRoot, path).Replace('\\', '/'), builders));
            }
        }
        foreach (var twice in manifests.GroupBy(m => m.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
            throw new ConfigException(Display(twice.Last(), repoRoot), "name", $"package '{twice.Key}' is also {Display(twice.First(), repoRoot)}",
                "rename one folder (a package's name is its folder's), or list only one of them in cake.config's Packages=");
        return From(manifests, repoRoot);
    }

    public static PackageGraph From(IReadOnlyList<PackageManifest> manifests, string repoRoot)
    {
        var byName = new Dictionary<string, PackageManifest>(StringComparer.Ordinal);
        foreach (var m in manifests)
            byName[m.Name] = m;

        foreach (var m in manifests)
        {
            for (var i = 0; i < m.DependsOn.Count; i++)
            {
                if (!byName.ContainsKey(m.DependsOn[i]))
                    throw new ConfigException(Display(m, repoRoot), $"dependsOn[{i}]", $"unknown package '{m.DependsOn[i]}'",
                        $"create packages/{m.DependsOn[i]}/btm.json or remove the entry (known: {string.Join(", ", byName.Keys.Order())})");
            }
            foreach (var (name, field) in (m.BuilderOptions as IImpliedDependencies)?.Dependencies ?? [])
            {
                if (!byName.ContainsKey(name))
                    throw new ConfigException(Display(m, repoRoot), field, $"unknown package '{name}'",
                        $"name a package of this repo (known: {string.Join(", ", byName.Keys.Order())}), or add its folder to cake.config Packages=");
                if (name == m.Name)
                    throw new ConfigException(Display(m, repoRoot), field, "names the package itself", "name another package of this repo");
            }
            if (m.Compress && !byName.ContainsKey(PackageManifest.StubPackage))
                throw new ConfigException(Display(m, repoRoot), "compress", $"compressed binaries need packages/{PackageManifest.StubPackage}, which this repo does not have",
                    $"add packages/{PackageManifest.StubPackage} (BTM's self-extracting stub) or remove \"compress\"");
        }
        return new PackageGraph(byName, Sort(byName, repoRoot));
    }

    /// <summary>
    /// The named packages and everything they depend on, dependencies first. Null or empty
    /// selects every package.
    /// </summary>
    public IReadOnlyList<PackageManifest> Select(IReadOnlyCollection<string>? names)
    {
        if (names is null || names.Count == 0)
            return TopologicalOrder;
        foreach (var name in names)
        {
            if (!_byName.ContainsKey(name))
                throw new ConfigException("command line", "--package", $"unknown package '{name}'",
                    $"use one of: {string.Join(", ", _byName.Keys.Order())}");
        }
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>(names);
        while (stack.Count > 0)
        {
            var name = stack.Pop();
            if (wanted.Add(name))
                foreach (var dep in _byName[name].AllDependencies)
                    stack.Push(dep);
        }
        return TopologicalOrder.Where(p => wanted.Contains(p.Name)).ToList();
    }

    /// <summary>Packages that depend on <paramref name="name"/>, directly or not.</summary>
    public IReadOnlySet<string> DependentsOf(string name)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        var changed = true;
        while (changed)
        {
            changed = false;
            foreach (var p in TopologicalOrder)
            {
                if (!result.Contains(p.Name) && p.AllDependencies.Any(d => d == name || result.Contains(d)))
                    changed = result.Add(p.Name);
            }
        }
        return result;
    }

    // Depth-first so a cycle can be reported as the exact path that closes it; siblings are
    // visited in name order, which makes the order stable across machines.
    private static List<PackageManifest> Sort(Dictionary<string, PackageManifest> byName, string repoRoot)
    {
        var order = new List<PackageManifest>();
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: on the path; true: done
        var path = new List<string>();

        void Visit(string name)
        {
            if (state.TryGetValue(name, out var done))
            {
                if (done)
                    return;
                var cycle = path.Skip(path.IndexOf(name)).Append(name).ToList();
                var owner = byName[cycle[^2]];
                throw new ConfigException(Display(owner, repoRoot), "dependsOn",
                    $"dependency cycle {string.Join(" -> ", cycle)}", "remove one of these dependencies");
            }
            state[name] = false;
            path.Add(name);
            foreach (var dep in byName[name].AllDependencies.Order(StringComparer.Ordinal))
                Visit(dep);
            path.RemoveAt(path.Count - 1);
            state[name] = true;
            order.Add(byName[name]);
        }

        foreach (var name in byName.Keys.Order(StringComparer.Ordinal))
            Visit(name);
        return order;
    }

    private static string Display(PackageManifest m, string repoRoot) =>
        Path.GetRelativePath(repoRoot, m.ManifestPath).Replace('\\', '/');
}
