using System.Reflection;
using Btm.Cake.Hosting;
using Btm.Cake.Logging;
using Btm.Core.Model;
using Btm.Core.Platforms;
using Cake.Core;
using Cake.Core.Diagnostics;

namespace Btm.Build.Host;

/// <summary>
/// Frosting's job, done over Cake.Core: build a Cake context, register every task class with
/// Cake's engine, run the target, and print the task report and the build summary.
/// </summary>
public static class BuildHost
{
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;

    public static int Run(string[] args)
    {
        var tasks = TaskCatalog.Discover(Assembly.GetExecutingAssembly());
        HostOptions options;
        try
        {
            options = HostOptionsParser.Parse(args, Environment.GetEnvironmentVariable);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"fail    {e.Message}");
            return ExitUsage;
        }
        if (options.Help)
        {
            foreach (var line in HelpText.Render(tasks))
                Console.WriteLine(line);
            return 0;
        }
        var target = tasks.FirstOrDefault(t => string.Equals(t.Name, options.Target, StringComparison.OrdinalIgnoreCase));
        if (target is null)
        {
            Console.Error.WriteLine($"fail    unknown target '{options.Target}'; tasks are: {string.Join(", ", tasks.Select(t => t.Name))}");
            return ExitUsage;
        }
        var root = FindRoot(options.Root);
        if (root is null)
        {
            Console.Error.WriteLine($"fail    no {RepoSettings.FileName} in {Directory.GetCurrentDirectory()} or any folder above it: " +
                "run from the repo or pass --root=<folder>");
            return ExitUsage;
        }

        // Our reader goes first: it names the file, the line and the fix, where Cake's parser throws.
        if (target.Name != "Tasks")
        {
            try
            {
                RepoSettingsReader.Load(Path.Combine(root, RepoSettings.FileName), RepoSettings.FileName);
            }
            catch (ConfigException e)
            {
                Console.Error.WriteLine($"fail    {e.Message}");
                Console.Error.WriteLine("fail    nothing was built");
                return ExitUsage;
            }
        }

        CakeContext cakeContext;
        ICakeDataService data;
        try
        {
            (cakeContext, data) = CakeContextFactory.Create(root, options.Verbosity, args);
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"fail    {RepoSettings.FileName}: Cake could not read it: {e.Message}. Fix: keep every line Key=Value or a ; comment");
            return ExitUsage;
        }
        var log = cakeContext.Log;
        var context = new BuildContext(cakeContext, options, root, HostPlatform.Detect(), tasks);

        if (target.Name != "Tasks")
        {
            try
            {
                context.LoadModel();
            }
            catch (ConfigException e)
            {
                context.Fail(e.Message);
                context.Fail("nothing was built");
                return ExitUsage;
            }
        }

        var report = new TaskReport();
        var engine = new CakeEngine(data, log);
        var skipReasons = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var info in tasks)
        {
            var task = (BtmTask)Activator.CreateInstance(info.Type)!;
            var builder = engine.RegisterTask(info.Name).Description(info.Description);
            foreach (var dependency in info.Dependencies)
                builder.IsDependentOn(dependency);
            bool Decide()
            {
                var decision = task.ShouldRun(context);
                if (!decision.ShouldRun)
                {
                    skipReasons[info.Name] = decision.Reason ?? "no reason given";
                    context.Info($"{info.Name} skipped: {skipReasons[info.Name]}");
                }
                return decision.ShouldRun;
            }
            // Cake fails a run whose target is skipped by a criterion ("could not reach target"),
            // but a target with nothing to do has succeeded: it decides inside its action instead.
            if (info == target)
                builder.Does(() => { if (Decide()) task.Run(context); });
            else
                builder.WithCriteria(_ => Decide()).Does(() => task.Run(context));
        }
        engine.RegisterTaskTeardownAction(teardown =>
        {
            var name = teardown.Task.Name;
            var skipped = teardown.Skipped || skipReasons.ContainsKey(name);
            var status = skipped ? "skipped" : teardown.Successful ? "done" : "failed";
            report.Add(new TaskReportEntry(name, status, teardown.Duration, skipped ? skipReasons.GetValueOrDefault(name) : null));
        });

        try
        {
            engine.RunTargetAsync(cakeContext, new DefaultExecutionStrategy(log, new StepPrinter(log)),
                new ExecutionSettings().SetTarget(target.Name)).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            var error = Unwrap(e);
            PrintReports(context, report, options);
            // Expected failures carry their own explanation; only a bug deserves a stack trace.
            var expected = error is ConfigException or Btm.Cake.Tooling.ToolFailedException or InvalidOperationException or IOException
                or HttpRequestException or TimeoutException or CakeException || error.GetType().Namespace?.StartsWith("Btm.", StringComparison.Ordinal) == true;
            context.Fail(expected ? error.Message : error.ToString());
            return ExitFailed;
        }
        PrintReports(context, report, options);
        return 0;
    }

    // Cake wraps a task's exception (CakeReportException, AggregateException); the user needs the
    // original message with its command and output tail, not the wrapper's first line.
    private static Exception Unwrap(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } or CakeReportException or CakeException && e.InnerException is not null)
            e = e is AggregateException a ? a.InnerExceptions[0] : e.InnerException!;
        return e;
    }

    private static void PrintReports(BuildContext context, TaskReport report, HostOptions options)
    {
        context.Versions.Save();
        if (context.Tasks.Count == 0 || options.Target.Equals("Tasks", StringComparison.OrdinalIgnoreCase))
            return;
        var lines = report.Render().Concat(context.Summary.Render().Prepend("").Where(_ => context.Summary.Entries.Count > 0));
        context.Log.Write(Verbosity.Minimal, LogLevel.Information, "{0}", "");
        foreach (var line in lines)
            context.Log.Write(Verbosity.Minimal, LogLevel.Information, "{0}", line);
        if (options.SummaryPath is not null)
            context.Summary.WriteJson(Path.GetFullPath(options.SummaryPath, context.RepoRoot));
    }

    private static string? FindRoot(string? explicitRoot)
    {
        if (explicitRoot is not null)
        {
            var full = Path.GetFullPath(explicitRoot);
            return File.Exists(Path.Combine(full, RepoSettings.FileName)) ? full : null;
        }
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, RepoSettings.FileName)))
                return dir.FullName;
        }
        return null;
    }
}
