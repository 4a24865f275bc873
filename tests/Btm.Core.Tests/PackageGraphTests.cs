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

    private static readonly BuilderSpec[] Make = [new BuilderSpec("make", "d", null)];

    private static void Package(TempDir dir, string folder, string name) =>
        dir.Write($"{folder}/btm.json", $$"""{"name": "{{name}}", "description": "d", "builder": "make", "binaries": ["{{name}}"]}""");

    [Test]
    public void Packages_come_from_every_folder_cake_config_names()
    {
        using var dir = new TempDir();
        Package(dir, "packages/lib", "lib");
        Package(dir, "examples/tool", "tool");
        Package(dir, "examples/other", "other");
        var g = PackageGraph.Load(dir.Path, Make, ["packages/*", "examples/tool"]);
        Assert.That(g.TopologicalOrder.Select(p => p.Name), Is.EqualTo(new[] { "lib", "tool" }), "examples/other is not listed");
        Assert.That(g["tool"].Directory, Is.EqualTo(Path.Combine(dir.Path, "examples", "tool")));
        Assert.That(PackageGraph.Load(dir.Path, Make).TopologicalOrder.Select(p => p.Name), Is.EqualTo(new[] { "lib" }), "the default is packages/*");
    }

    [Test]
    public void A_listed_folder_without_btm_json_a_link_and_a_name_twice_are_settings_errors()
    {
        using var dir = new TempDir();
        Package(dir, "packages/tool", "tool");
        Package(dir, "more/tool", "tool");
        Directory.CreateDirectory(Path.Combine(dir.Path, "empty"));
        var missing = Assert.Throws<ConfigException>(() => PackageGraph.Load(dir.Path, Make, ["packages/*", "empty"]))!;
        Assert.That((missing.File, missing.Field), Is.EqualTo(("cake.config", "[Btm] Packages")));
        Assert.That(missing.Message, Does.Contain("'empty' has no btm.json"));
        var twice = Assert.Throws<ConfigException>(() => PackageGraph.Load(dir.Path, Make, ["packages/*", "more/*"]))!;
        Assert.That((twice.File, twice.Field), Is.EqualTo(("more/tool/btm.json", "name")));
        Assert.That(twice.Message, Does.Contain("package 'tool' is also packages/tool/btm.json"));
        Directory.CreateSymbolicLink(Path.Combine(dir.Path, "linked"), Path.Combine(dir.Path, "more"));
        var link = Assert.Throws<ConfigException>(() => PackageGraph.Load(dir.Path, Make, ["linked/*"]))!;
        Assert.That(link.Message, Does.Contain("symbolic link"));
    }
}
