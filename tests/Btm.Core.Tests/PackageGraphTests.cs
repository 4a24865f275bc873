using Btm.Core.Model;

namespace Btm.Core.Tests;

public class PackageGraphTests
{
    private static PackageGraph Graph(TempDir dir, params (string Name, string[] Deps)[] packages)
    {
        foreach (var (name, deps) in packages)
        {
            var depList = string.Join(", ", deps.Select(d => $"\"{d}\""));
            dir.Write($"packages/{name}/btm.json",
                $$"""{"name": "{{name}}", "description": "d", "builder": "make", "binaries": ["{{name}}"], "dependsOn": [{{depList}}]}""");
        }
        return PackageGraph.Load(dir.Path, [new BuilderSpec("cmake", "d", null), new BuilderSpec("make", "d", null)]);
    }

    [Test]
    public void Dependencies_come_first_and_ties_break_by_name()
    {
        using var dir = new TempDir();
        var g = Graph(dir, ("app", ["lib", "util"]), ("lib", ["util"]), ("util", []), ("zeta", []), ("alpha", []));
        var order = g.TopologicalOrder.Select(p => p.Name).ToList();
        Assert.That(order, Is.EqualTo(new[] { "alpha", "util", "lib", "app", "zeta" }));
    }

    [Test]
    public void A_cycle_is_reported_as_its_path()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<ConfigException>(() => Graph(dir, ("a", ["b"]), ("b", ["c"]), ("c", ["a"])))!;
        Assert.That(e.Message, Does.Contain("dependency cycle a -> b -> c -> a"));
        Assert.That(e.File, Is.EqualTo("packages/c/btm.json"));
        Assert.That(e.Field, Is.EqualTo("dependsOn"));
        Assert.That(e.Fix, Does.Contain("remove one of these dependencies"));
    }

    [Test]
    public void A_missing_dependency_names_the_entry()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<ConfigException>(() => Graph(dir, ("a", ["ghost"]), ("b", [])))!;
        Assert.That(e.File, Is.EqualTo("packages/a/btm.json"));
        Assert.That(e.Field, Is.EqualTo("dependsOn[0]"));
        Assert.That(e.Message, Does.Contain("unknown package 'ghost'").And.Contain("known: a, b"));
    }

    [Test]
    public void Selection_adds_dependencies_in_build_order()
    {
        using var dir = new TempDir();
        var g = Graph(dir, ("app", ["lib"]), ("lib", ["util"]), ("util", []), ("other", []));
        Assert.That(g.Select(["app"]).Select(p => p.Name), Is.EqualTo(new[] { "util", "lib", "app" }));
        Assert.That(g.Select(["other", "lib"]).Select(p => p.Name), Is.EqualTo(new[] { "util", "lib", "other" }));
        Assert.That(g.Select(null), Has.Count.EqualTo(4));
    }

    [Test]
    public void Selecting_an_unknown_package_lists_the_known_ones()
    {
        using var dir = new TempDir();
        var g = Graph(dir, ("app", []));
        var e = Assert.Throws<ConfigException>(() => g.Select(["ap"]))!;
        Assert.That(e.Field, Is.EqualTo("--package"));
        Assert.That(e.Message, Does.Contain("unknown package 'ap'").And.Contain("use one of: app"));
    }

    [Test]
    public void Dependents_are_transitive()
    {
        using var dir = new TempDir();
        var g = Graph(dir, ("app", ["lib"]), ("lib", ["util"]), ("util", []), ("other", []));
        Assert.That(g.DependentsOf("util"), Is.EquivalentTo(new[] { "lib", "app" }));
        Assert.That(g.DependentsOf("other"), Is.Empty);
    }
}
