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
        public BuildResult Build(BuildContext context, BuildUnit unit) => throw new NullReferenceException("simulated bug");
        public TestResult Test(BuildContext context, BuildUnit unit) => TestResult.Passed("");
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

    private static void AddScriptPackage(Sandbox box, string name, string builder, string section = "")
    {
        box.Write($"packages/{name}/btm.json", $$"""
            {"name": "{{name}}", "description": "fixture", "builder": "{{builder}}", "binaries": ["{{name}}"], "test": false{{section}}}
            """);
        box.Write($"packages/{name}/build.sh", $"$2 -o \"$1/{name}\" src/main.c\n");
        box.Write($"packages/{name}/other.sh", $"$2 -DOTHER -o \"$1/{name}\" src/main.c\n");
        box.Write($"packages/{name}/src/main.c", $"#include <stdio.h>\n#ifdef OTHER\n#define HOW \"other.sh\"\n#else\n#define HOW \"script\"\n#endif\nint main(void) {{ puts(\"{name} via \" HOW); return 0; }}\n");
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
    public void The_schema_file_is_made_from_the_registry()
    {
        var onDisk = File.ReadAllText(Path.Combine(Sandbox.RepoRoot, BtmSchema.RepoPath));
        Assert.That(onDisk, Is.EqualTo(BtmSchema.Generate(BuilderRegistry.Default.Specs)),
            $"{BtmSchema.RepoPath} is out of date: run ./build.sh --target=Schema");
        using var doc = JsonDocument.Parse(onDisk);
        var properties = doc.RootElement.GetProperty("properties");
        var builder = properties.GetProperty("builder");
        Assert.That(builder.GetProperty("enum").EnumerateArray().Select(e => e.GetString()), Is.EquivalentTo(BuilderRegistry.Default.Names));
        foreach (var b in BuilderRegistry.Default.All)
        {
            Assert.That(builder.GetProperty("description").GetString(), Does.Contain($"{b.Name}: {b.Description}"), "the schema describes each builder as the builder does");
            if (b.Section is { } section)
                Assert.That(properties.GetProperty(section.Key).GetProperty("description").GetString(), Does.StartWith($"Builder {b.Name} only"));
        }
    }

    [Test]
    public void A_new_builder_brings_its_own_section_into_the_schema_and_the_reader()
    {
        var registry = new BuilderRegistry([.. BuilderRegistry.Default.All, new ScriptBuilder()]);
        using var schema = JsonDocument.Parse(BtmSchema.Generate(registry.Specs));
        Assert.That(schema.RootElement.GetProperty("properties").GetProperty("script").GetProperty("properties").GetProperty("entry").GetProperty("type").GetString(),
            Is.EqualTo("string"));

        using var box = new Sandbox();
        AddScriptPackage(box, "scripted", "script", ", \"script\": {\"entry\": \"other.sh\"}");
        var (exit, output) = RunInProcess(registry, $"--root={box.Root}", "--target=Build");
        Assert.That(exit, Is.Zero, output);
        Assert.That(ProcessResult.Run(box.Final("scripted", "scripted"), [], box.Root).Stdout.Trim(), Is.EqualTo("scripted via other.sh"),
            "the builder read its own section");
    }

    [TestCase(", \"script\": {\"entry\": \"\"}", "script.entry: must be a non-empty string")]
    [TestCase(", \"script\": {\"shell\": \"bash\"}", "script.shell: unknown field")]
    [TestCase(", \"make\": {}", "make: is the make builder's section, and this package's builder is script")]
    public void A_config_error_in_a_builder_section_exits_2_naming_file_and_field(string section, string message)
    {
        var registry = new BuilderRegistry([.. BuilderRegistry.Default.All, new ScriptBuilder()]);
        using var box = new Sandbox();
        AddScriptPackage(box, "scripted", "script", section);
        var (exit, output) = RunInProcess(registry, $"--root={box.Root}", "--target=Build");
        Assert.That(exit, Is.EqualTo(2), output);
        Assert.That(output, Does.Contain($"packages/scripted/btm.json: {message}").And.Contain("Fix: "));
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
