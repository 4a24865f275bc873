using System.Text.Json;
using Btm.Build.Host;
using Btm.Build.Pipeline;
using Btm.Build.Tests.Builders;
using Btm.Core.Model;

namespace Btm.Build.Tests;

/// <summary>The extension points: builders from a registry, the schema pinned to it, the error model.</summary>
[NonParallelizable]
public class ExtensionTests
{
    private sealed class BuggyBuilder : IPackageBuilder
    {
        public string Name => "buggy";
        public string Description => "throws what a bug in BTM would throw";
        public ToolRequirement Tool { get; } = new("sh", "sh", null, null, new Dictionary<string, string>());
        public void Compile(BuildContext context, BuildUnit unit, string outDir) => throw new NullReferenceException("simulated bug");
        public string Test(BuildContext context, BuildUnit unit) => "";
    }

    /// <summary>Runs the host in this process (Cake moves the process's working folder; it is put back).</summary>
    private static (int Exit, string Output) RunInProcess(BuilderRegistry builders, params string[] args)
    {
        var cwd = Directory.GetCurrentDirectory();
        var (stdout, stderr) = (Console.Out, Console.Error);
        using var captured = new StringWriter();
        Console.SetOut(captured);
        Console.SetError(captured);
        try
        {
            return (BuildHost.Run(args, builders), captured.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
            Directory.SetCurrentDirectory(cwd);
        }
    }

    private static void AddScriptPackage(Sandbox box, string name, string builder)
    {
        box.Write($"packages/{name}/btm.json", $$"""
            {"name": "{{name}}", "description": "fixture", "builder": "{{builder}}", "binaries": ["{{name}}"], "test": false}
            """);
        box.Write($"packages/{name}/build.sh", $"$2 -o \"$1/{name}\" src/main.c\n");
        box.Write($"packages/{name}/src/main.c", $"#include <stdio.h>\nint main(void) {{ puts(\"{name} via script\"); return 0; }}\n");
    }

    [Test]
    public void A_builder_is_one_class_plus_one_registration_line()
    {
        using var box = new Sandbox();
        AddScriptPackage(box, "scripted", "script");
        var registry = new BuilderRegistry([.. BuilderRegistry.Default.All, new ScriptBuilder()]);

        var (exit, output) = RunInProcess(registry, $"--root={box.Root}", "--target=Build", $"--summary={box.SummaryPath}");

        Assert.That(exit, Is.Zero, output);
        Assert.That(box.Outcome("scripted", "compiled"), Is.EqualTo("built"));
        Assert.That(ProcessResult.Run(box.Final("scripted", "scripted"), [], box.Root).Stdout.Trim(), Is.EqualTo("scripted via script"));
        var (again, _) = RunInProcess(registry, $"--root={box.Root}", "--target=Build", $"--summary={box.SummaryPath}");
        Assert.That((again, box.Outcome("scripted", "final")), Is.EqualTo((0, "restored")), "checkpoints work for the new builder too");
    }

    [Test]
    public void Without_its_registration_the_builder_name_is_a_config_error_naming_the_choices()
    {
        using var box = new Sandbox();
        AddScriptPackage(box, "scripted", "script");
        var r = box.Run("--target=Build");
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.Output, Does.Contain("packages/scripted/btm.json: builder: unknown builder 'script'").And.Contain("\"cmake\", \"make\""));
    }

    [Test]
    public void The_schema_builder_enum_is_the_registry()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Sandbox.RepoRoot, "docs", "schemas", "btm.schema.json")));
        var builder = doc.RootElement.GetProperty("properties").GetProperty("builder");
        var names = builder.GetProperty("enum").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.That(names, Is.EquivalentTo(BuilderRegistry.Default.Names));
        var description = builder.GetProperty("description").GetString()!;
        foreach (var b in BuilderRegistry.Default.All)
            Assert.That(description, Does.Contain($"{b.Name}: {b.Description}"), "the schema describes each builder as the builder does");
    }

    [Test]
    public void An_unexpected_exception_is_a_bug_with_its_stack_and_says_so()
    {
        using var box = new Sandbox();
        AddScriptPackage(box, "broken", "buggy");
        var registry = new BuilderRegistry([.. BuilderRegistry.Default.All, new BuggyBuilder()]);
        var (exit, output) = RunInProcess(registry, $"--root={box.Root}", "--target=Build");
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(output, Does.Contain("NullReferenceException: simulated bug").And.Contain("   at "), "the stack trace is shown");
        Assert.That(output, Does.Contain("this is a bug in BTM"));
    }

    [Test]
    public void A_user_facing_failure_shows_no_stack_trace()
    {
        using var box = new Sandbox();
        box.AddMakePackage("alpha", code: "this is not C;");
        var r = box.Run();
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Output, Does.Contain("alpha " + Sandbox.Host + " dev: Make failed"));
        Assert.That(r.Output, Does.Not.Contain("   at ").And.Not.Contain("bug in BTM"));
    }
}
