namespace Btm.Build.Tests;

/// <summary>The Build graph end to end, on small make packages so every test can rebuild.</summary>
public class PipelineTests
{
    private static readonly string[] Stages = ["compiled", "stripped", "final"];

    private static void AssertOk(ProcessResult r) => Assert.That(r.ExitCode, Is.Zero, r.Output);

    private static void AssertStages(Sandbox box, string package, string outcome)
    {
        foreach (var stage in Stages)
            Assert.That(box.Outcome(package, stage), Is.EqualTo(outcome), $"{package} {stage}");
    }

    [Test]
    public void Second_run_restores_every_stage_and_compiles_nothing()
    {
        using var box = new Sandbox();
        box.AddMakePackage("alpha");
        AssertOk(box.Run("--target=Build"));
        AssertStages(box, "alpha", "built");
        var run = ProcessResult.Run(box.Final("alpha", "alpha"), [], box.Root);
        Assert.That(run.Stdout.Trim(), Is.EqualTo("alpha"));

        // Remove the make tree: if the second run compiled anything, make would have to recreate it.
        Directory.Delete(Path.Combine(box.Package("alpha"), "build", "dev", Sandbox.Host, "work"), recursive: true);
        var second = box.Run("--target=Build");
        AssertOk(second);
        AssertStages(box, "alpha", "restored");
        Assert.That(second.Output, Does.Not.Contain("building"));
        Assert.That(Directory.Exists(Path.Combine(box.Package("alpha"), "build", "dev", Sandbox.Host, "work")), Is.False);
        Assert.That(ProcessResult.Run(box.Final("alpha", "alpha"), [], box.Root).Stdout.Trim(), Is.EqualTo("alpha"));
    }

    [Test]
    public void Editing_a_source_rebuilds_that_package_and_its_dependents_only()
    {
        using var box = new Sandbox();
        box.AddMakePackage("alpha");
        box.AddMakePackage("beta", ["alpha"]);
        box.AddMakePackage("gamma");
        AssertOk(box.Run());

        File.AppendAllText(Path.Combine(box.Package("alpha"), "src", "main.c"), "/* edited */\n");
        AssertOk(box.Run());
        var summary = box.LastSummary().Where(s => s.Stage == "compiled").ToDictionary(s => s.Package);
        Assert.That(summary["alpha"].Outcome, Is.EqualTo("built"));
        Assert.That(summary["alpha"].Detail, Is.EqualTo("inputs changed: files"));
        Assert.That(summary["beta"].Outcome, Is.EqualTo("built"));
        Assert.That(summary["beta"].Detail, Is.EqualTo("inputs changed: dependencies"));
        Assert.That(summary["gamma"].Outcome, Is.EqualTo("restored"));
    }

    [Test]
    public void A_file_outside_the_inputs_changes_nothing()
    {
        using var box = new Sandbox();
        box.AddMakePackage("alpha");
        AssertOk(box.Run());
        box.Write("packages/alpha/NOTES.md", "not an input");
        box.Write("README.md", "repo readme");
        AssertOk(box.Run());
        AssertStages(box, "alpha", "restored");
    }

    [Test]
    public void A_build_variable_in_the_environment_is_part_of_the_key()
    {
        using var box = new Sandbox();
        box.AddMakePackage("alpha");
        AssertOk(box.Run());
        AssertOk(box.RunWith(new Dictionary<string, string?> { ["CFLAGS"] = "-O2" }));
        Assert.That(box.LastSummary().Single(s => s.Stage == "compiled").Detail, Is.EqualTo("inputs changed: environment"));
    }

    [Test]
    public void Package_selection_builds_dependencies_first_and_nothing_else()
    {
        using var box = new Sandbox();
        box.AddMakePackage("zeta");
        box.AddMakePackage("beta", ["zeta"]);
        box.AddMakePackage("gamma");
        AssertOk(box.Run("--package=beta"));
        var compiled = box.LastSummary().Where(s => s.Stage == "compiled").Select(s => s.Package).ToList();
        Assert.That(compiled, Is.EqualTo(new[] { "zeta", "beta" }));
    }

    [Test]
    public void A_corrupt_archive_is_reported_and_rebuilt_never_used()
    {
        using var box = new Sandbox();
        box.AddMakePackage("alpha");
        AssertOk(box.Run());
        var archive = Path.Combine(box.Checkpoints("alpha"), "compiled.tar.gz");
        var bytes = File.ReadAllBytes(archive);
        bytes[bytes.Length / 3] ^= 0x20;
        File.WriteAllBytes(archive, bytes);
        // With the output still in place the archive is not needed; without it, it must be read.
        Directory.Delete(Path.Combine(box.Package("alpha"), "build", "dev", Sandbox.Host, "out"), recursive: true);

        var r = box.Run();
        AssertOk(r);
        Assert.That(r.Output, Does.Contain("checkpoint is corrupt").And.Contain("compiled.tar.gz"));
        var compiled = box.LastSummary().Single(s => s.Stage == "compiled");
        Assert.That((compiled.Outcome, compiled.Detail), Is.EqualTo(("built", "corrupt checkpoint rebuilt")));
        AssertOk(box.Run());
        Assert.That(box.Outcome("alpha", "compiled"), Is.EqualTo("restored"));
    }

    [Test]
    public void A_tampered_output_is_restored_from_its_checkpoint()
    {
        using var box = new Sandbox();
        box.AddMakePackage("alpha");
        AssertOk(box.Run());
        var final = box.Final("alpha", "alpha");
        var original = File.ReadAllBytes(final);
        AssertOk(box.Run());
        Assert.That(box.LastSummary().Single(s => s.Stage == "final").Detail, Does.EndWith("output already current"));

        File.WriteAllText(final, "tampered");
        AssertOk(box.Run());
        var entry = box.LastSummary().Single(s => s.Stage == "final");
        Assert.That(entry.Outcome, Is.EqualTo("restored"));
        Assert.That(entry.Detail, Does.Not.Contain("already current"));
        Assert.That(File.ReadAllBytes(final), Is.EqualTo(original));
    }

    [TestCase("atomic-write.before-rename")]
    [TestCase("checkpoint.before-metadata")]
    public void A_crash_while_checkpointing_leaves_no_usable_checkpoint(string fault)
    {
        using var box = new Sandbox();
        box.AddMakePackage("alpha");
        var crashed = box.RunWith(new Dictionary<string, string?> { ["BTM_FAULT"] = fault }, "--target=Build");
        Assert.That(crashed.ExitCode, Is.Not.Zero, "the simulated crash must kill the build");
        Assert.That(crashed.Output, Does.Contain($"simulated crash at {fault}"));
        Assert.That(File.Exists(Path.Combine(box.Checkpoints("alpha"), "compiled.json")), Is.False, "no metadata may vouch for a half-written checkpoint");

        var next = box.Run("--target=Build");
        AssertOk(next);
        Assert.That(box.Outcome("alpha", "compiled"), Is.EqualTo("built"));
        Assert.That(Directory.GetFiles(box.Checkpoints("alpha"), ".*"), Is.Empty, "temp files are cleaned up");
        AssertOk(box.Run("--target=Build"));
        AssertStages(box, "alpha", "restored");
    }

    [Test]
    public void Force_rebuilds_every_stage()
    {
        using var box = new Sandbox();
        box.AddMakePackage("alpha");
        AssertOk(box.Run());
        AssertOk(box.Run("--force"));
        Assert.That(box.LastSummary().Where(s => s.Package == "alpha").Select(s => s.Detail), Is.All.EqualTo("--force"));
        AssertStages(box, "alpha", "built");
    }

    [Test]
    public void Clean_removes_only_the_named_package()
    {
        using var box = new Sandbox();
        box.AddMakePackage("alpha");
        box.AddMakePackage("beta", ["alpha"]);
        AssertOk(box.Run());
        AssertOk(box.Run("--target=Clean", "--package=beta"));
        Assert.That(Directory.Exists(Path.Combine(box.Package("beta"), "build")), Is.False);
        Assert.That(Directory.Exists(Path.Combine(box.Package("alpha"), "build")), Is.True);
        AssertOk(box.Run("--target=Clean"));
        Assert.That(Directory.Exists(Path.Combine(box.Package("alpha"), "build")), Is.False);
        var again = box.Run("--target=Clean");
        AssertOk(again);
        Assert.That(again.Output, Does.Contain("Clean skipped: nothing to clean"));
    }

    [Test]
    public void An_unknown_platform_id_fails_naming_the_file_and_value_and_builds_nothing()
    {
        using var box = new Sandbox();
        box.AddMakePackage("alpha");
        box.AddMakePackage("beta", extraJson: "\"targets\": [\"linux-x64\", \"linux-x86\"]");
        var r = box.Run("--target=Build");
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.Output, Does.Contain("packages/beta/btm.json").And.Contain("targets[1]").And.Contain("'linux-x86'").And.Contain("Fix:"));
        Assert.That(Directory.Exists(Path.Combine(box.Package("alpha"), "build")), Is.False, "nothing is built");
    }

    [Test]
    public void A_dependency_cycle_fails_before_anything_is_built()
    {
        using var box = new Sandbox();
        box.AddMakePackage("alpha", ["beta"]);
        box.AddMakePackage("beta", ["alpha"]);
        var r = box.Run();
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.Output, Does.Contain("dependency cycle alpha -> beta -> alpha"));
        Assert.That(Directory.Exists(Path.Combine(box.Package("alpha"), "build")), Is.False);
    }

    [Test]
    public void A_missing_toolchain_fails_with_its_hint_or_is_listed_as_skipped()
    {
        if ((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, "aarch64-w64-mingw32-clang"))))
            Assert.Ignore("llvm-mingw is installed here, so win32-arm64 is not a missing toolchain");
        using var box = new Sandbox();
        box.AddMakePackage("alpha");
        var failed = box.Run("--platform=win32-arm64");
        Assert.That(failed.ExitCode, Is.EqualTo(1));
        Assert.That(failed.Output, Does.Contain("alpha win32-arm64").And.Contain("llvm-mingw").And.Contain("--skip-unavailable"));

        var skipped = box.Run($"--platform=win32-arm64,{Sandbox.Host}", "--skip-unavailable");
        AssertOk(skipped);
        var windows = box.LastSummary().Single(s => s.Platform == "win32-arm64");
        Assert.That(windows.Outcome, Is.EqualTo("skipped"));
        Assert.That(windows.Detail, Does.Contain("llvm-mingw"));
        Assert.That(box.Outcome("alpha", "final"), Is.EqualTo("built"), "the host target still builds");
    }

    [Test]
    public void A_platform_the_package_does_not_target_is_skipped_with_the_reason()
    {
        using var box = new Sandbox();
        box.AddMakePackage("winonly", extraJson: "\"targets\": [\"win32-x64\"]");
        var r = box.Run();
        AssertOk(r);
        var entry = box.LastSummary().Single();
        Assert.That((entry.Outcome, entry.Detail), Is.EqualTo(("skipped", $"{Sandbox.Host} is not in its btm.json targets")));
        Assert.That(r.Output, Does.Contain("Compile skipped: no package/platform to build"));
    }

    [Test]
    public void Prod_ships_stripped_binaries_and_dev_keeps_symbols()
    {
        using var box = new Sandbox();
        box.AddMakePackage("alpha");
        AssertOk(box.Run("--mode=prod"));
        AssertOk(box.RunWith(new Dictionary<string, string?> { ["BUILD_MODE"] = "dev" }));
        string Out(string mode, string stage) => Path.Combine(box.Package("alpha"), "build", mode, Sandbox.Host, "out", stage, "alpha");
        Assert.That(File.ReadAllBytes(Out("prod", "Final")), Is.EqualTo(File.ReadAllBytes(Out("prod", "Stripped"))));
        Assert.That(new FileInfo(Out("prod", "Final")).Length, Is.LessThan(new FileInfo(Out("prod", "Compiled")).Length));
        Assert.That(File.ReadAllBytes(Out("dev", "Final")), Is.EqualTo(File.ReadAllBytes(Out("dev", "Compiled"))));
        Assert.That(File.ReadAllText(Out("dev", "Final")), Does.Contain("main.c"), "dev keeps debug info");
    }

    [Test]
    public void Test_runs_the_package_tests_and_fails_loudly()
    {
        using var box = new Sandbox();
        box.AddMakePackage("good");
        box.AddMakePackage("bad", code: "return 3;");
        var r = box.Run("--target=Test");
        Assert.That(r.ExitCode, Is.EqualTo(1));
        var tests = box.LastSummary().Where(s => s.Stage == "test").ToDictionary(s => s.Package);
        Assert.That(tests["bad"].Outcome, Is.EqualTo("failed"));
        Assert.That(r.Output, Does.Contain("Make failed with exit code").And.Contain("command:").And.Contain("test"));
        Assert.That(r.Output, Does.Contain("Task").And.Contain("failed"), "the task report is printed on failure too");
    }

    [Test]
    public void A_failing_compile_shows_the_command_and_the_compiler_error()
    {
        using var box = new Sandbox();
        box.AddMakePackage("alpha", code: "this is not C;");
        var r = box.Run();
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Output, Does.Contain("command:").And.Contain("error"));
        Assert.That(box.LastSummary().Single(s => s.Stage == "compiled").Outcome, Is.EqualTo("failed"));
        Assert.That(Directory.Exists(Path.Combine(box.Package("alpha"), "build", "dev", Sandbox.Host, "out", "Compiled")), Is.False,
            "no partial output left looking complete");
    }

    [Test]
    public void Usage_errors_exit_2_with_a_suggestion()
    {
        using var box = new Sandbox();
        var typo = box.Run("--pakage=alpha");
        Assert.That(typo.ExitCode, Is.EqualTo(2));
        Assert.That(typo.Output, Does.Contain("unknown option --pakage; did you mean --package?"));
        var badMode = box.Run("--mode=fast");
        Assert.That((badMode.ExitCode, badMode.Output.Contains("use dev or prod")), Is.EqualTo((2, true)));
        var target = box.Run("--target=Nope");
        Assert.That(target.ExitCode, Is.EqualTo(2));
        Assert.That(target.Output, Does.Contain("unknown target 'Nope'"));
        var help = box.Run("--help");
        AssertOk(help);
        Assert.That(help.Stdout, Does.Contain("--package=<a,b>").And.Contain("CheckTools"));
    }
}
