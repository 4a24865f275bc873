namespace Btm.Build.Tests;

/// <summary>--jobs: independent units overlap, dependencies wait, the first failure stops new work.</summary>
public class SchedulerTests
{
    /// <summary>A make package whose build logs "start"/"end" with a timestamp to a shared file and sleeps between.</summary>
    private static void AddLoggingPackage(Sandbox box, string name, string log, string[]? dependsOn = null, string code = "return 0;")
    {
        box.AddMakePackage(name, dependsOn, code: code);
        box.Write($"packages/{name}/Makefile",
            $"all:\n\techo \"{name} start $$(date +%s%N)\" >> {log}\n\tsleep 1\n" +
            $"\t$(CC) -o $(BTM_OUT_DIR)/{name}$(BTM_EXE_SUFFIX) src/main.c\n\techo \"{name} end $$(date +%s%N)\" >> {log}\n");
    }

    private static Dictionary<string, (long Start, long End)> Spans(string log) =>
        File.ReadAllLines(log).Select(l => l.Split(' ')).GroupBy(p => p[0])
            .ToDictionary(g => g.Key, g => (long.Parse(g.Single(p => p[1] == "start")[2]), long.Parse(g.Single(p => p[1] == "end")[2])));

    [Test]
    public void Two_jobs_build_independent_units_side_by_side_and_dependencies_after()
    {
        using var box = new Sandbox();
        var log = Path.Combine(box.Root, "make.log");
        AddLoggingPackage(box, "alpha", log);
        AddLoggingPackage(box, "beta", log);
        AddLoggingPackage(box, "gamma", log, ["alpha"]);
        var r = box.Run("--jobs=2");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        var spans = Spans(log);
        Assert.That(spans["beta"].Start, Is.LessThan(spans["alpha"].End), "alpha and beta overlap");
        Assert.That(spans["alpha"].Start, Is.LessThan(spans["beta"].End), "alpha and beta overlap");
        Assert.That(spans["gamma"].Start, Is.GreaterThan(spans["alpha"].End), "gamma waits for its dependency");
    }

    [Test]
    public void One_job_builds_units_one_after_another()
    {
        using var box = new Sandbox();
        var log = Path.Combine(box.Root, "make.log");
        AddLoggingPackage(box, "alpha", log);
        AddLoggingPackage(box, "beta", log);
        Assert.That(box.Run("--jobs=1").ExitCode, Is.Zero);
        var spans = Spans(log);
        Assert.That(spans["beta"].Start, Is.GreaterThan(spans["alpha"].End));
    }

    [Test]
    public void The_first_failure_names_its_unit_and_units_not_started_are_listed_as_skipped()
    {
        using var box = new Sandbox();
        box.AddMakePackage("alpha", code: "this is not C;");
        box.AddMakePackage("beta", ["alpha"]);
        var r = box.Run("--jobs=2");
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Output, Does.Contain($"alpha {Sandbox.Host} dev: Make failed"));
        var beta = box.LastSummary().Single(s => s.Package == "beta");
        Assert.That((beta.Outcome, beta.Detail), Is.EqualTo(("skipped", $"not started: alpha {Sandbox.Host} dev failed")));
        Assert.That(Directory.Exists(Path.Combine(box.Package("beta"), "build")), Is.False, "beta never started");
    }

    [TestCase("0")]
    [TestCase("many")]
    public void A_bad_jobs_value_is_a_usage_error(string value)
    {
        using var box = new Sandbox();
        var r = box.Run($"--jobs={value}");
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.Output, Does.Contain($"--jobs={value}: give a whole number from 1 to 256"));
    }
}
