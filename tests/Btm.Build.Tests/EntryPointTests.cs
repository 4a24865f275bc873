namespace Btm.Build.Tests;

/// <summary>build.sh, build.ps1 and `dotnet cake` must run one and the same task graph.</summary>
public class EntryPointTests
{
    private static string Root => Sandbox.RepoRoot;

    private static List<string> TaskLines(string output) =>
        output.Split('\n').Where(l => l.StartsWith("  ", StringComparison.Ordinal) && !l.StartsWith("   ", StringComparison.Ordinal))
            .Select(l => l.TrimEnd()).ToList();

    private static List<string> HostTasks()
    {
        var direct = ProcessResult.Run("dotnet", [Sandbox.HostDll, $"--root={Root}", "--target=Tasks"], Root);
        Assert.That(direct.ExitCode, Is.Zero, direct.Output);
        var tasks = TaskLines(direct.Stdout);
        Assert.That(tasks, Has.Some.StartWith("  Build ").And.Some.StartWith("  CheckTools "));
        return tasks;
    }

    [Test]
    public void Build_sh_runs_the_same_graph_and_passes_exit_codes_through()
    {
        if (OperatingSystem.IsWindows())
            Assert.Ignore("build.sh is the Linux/macOS entry point");
        var sh = ProcessResult.Run(Path.Combine(Root, "build.sh"), ["--target=Tasks"], Root, timeoutSeconds: 600);
        Assert.That(sh.ExitCode, Is.Zero, sh.Output);
        Assert.That(TaskLines(sh.Stdout), Is.EqualTo(HostTasks()));

        var bad = ProcessResult.Run(Path.Combine(Root, "build.sh"), ["--target=NoSuchTask"], Root);
        Assert.That(bad.ExitCode, Is.EqualTo(2));
        Assert.That(bad.Output, Does.Contain("unknown target 'NoSuchTask'"));
    }

    [Test]
    public void Dotnet_cake_runs_the_same_graph_and_passes_exit_codes_through()
    {
        var restore = ProcessResult.Run("dotnet", ["tool", "restore"], Root, timeoutSeconds: 600);
        if (restore.ExitCode != 0)
            Assert.Ignore($"dotnet tool restore failed, so Cake.Tool is unavailable: {restore.Output}");
        var cake = ProcessResult.Run("dotnet", ["cake", "--target=Tasks"], Root, timeoutSeconds: 600);
        Assert.That(cake.ExitCode, Is.Zero, cake.Output);
        Assert.That(TaskLines(cake.Stdout), Is.EqualTo(HostTasks()));

        var bad = ProcessResult.Run("dotnet", ["cake", "--target=NoSuchTask"], Root, timeoutSeconds: 600);
        Assert.That(bad.ExitCode, Is.EqualTo(2), bad.Output);
        Assert.That(bad.Output, Does.Contain("unknown target 'NoSuchTask'"));
        Assert.That(bad.Output, Does.Not.Contain("building the BTM host"), "an unchanged host is reused, as build.sh does");
    }

    [Test]
    public void Build_ps1_runs_the_same_graph()
    {
        var pwsh = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .SelectMany(d => new[] { Path.Combine(d, "pwsh"), Path.Combine(d, "pwsh.exe") }).FirstOrDefault(File.Exists);
        if (pwsh is null)
            Assert.Ignore("pwsh is not installed (no Debian or NuGet package here); build.ps1 runs on the Windows CI leg");
        var ps = ProcessResult.Run(pwsh!, ["-NoProfile", "-File", Path.Combine(Root, "build.ps1"), "-Target", "Tasks"], Root, timeoutSeconds: 600);
        Assert.That(ps.ExitCode, Is.Zero, ps.Output);
        Assert.That(TaskLines(ps.Stdout), Is.EqualTo(HostTasks()));
    }
}
