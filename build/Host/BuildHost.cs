using System.Reflection;
using Btm.Core.IO;
using Btm.Cake.Hosting;
using Btm.Cake.Logging;
using Btm.Core.Model;
using Btm.Core.Platforms;
using Cake.Core;

namespace Btm.Build.Host;

/// <summary>
/// Frosting's job, done over Cake.Core: read the command line, pick the target, build a Cake
/// context, register every task class with Cake's engine, run, and report.
/// </summary>
public static class BuildHost
{
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;

    /// <param name="builders">The builder registry; tests pass one with an extra builder.</param>
    public static int Run(string[] args, Btm.Build.Pipeline.BuilderRegistry? builders = null)
    {
        var tasks = TaskCatalog.Discover(Assembly.GetExecutingAssembly());
        HostOptions options;
        TaskInfo target;
        string root;
        try
        {
            options = HostOptionsParser.Parse(args, Environment.GetEnvironmentVariable);
            if (options.Help)
            {
                foreach (var line in HelpText.Render(tasks))
                    Console.WriteLine(line);
                return 0;
            }
            target = TargetSelection.Target(tasks, options.Target);
            root = TargetSelection.Root(options.Root);
            // Our reader goes first: it names the file, the line and the fix, where Cake's parser throws.
            if (!TargetSelection.NeedsNoModel(target))
                RepoSettingsReader.Load(Path.Combine(root, RepoSettings.FileName), RepoSettings.FileName);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"fail    {e.Message}");
            return ExitUsage;
        }
        catch (ConfigException e)
        {
            Console.Error.WriteLine($"fail    {e.Message}");
            Console.Error.WriteLine("fail    nothing was built");
            return ExitUsage;
        }

        CakeContext cakeContext;
        ICakeDataService data;
        try
        {
            (cakeContext, data) = CakeContextFactory.Create(root, options.Verbosity, options.Arguments);
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"fail    {RepoSettings.FileName}: Cake could not read it: {e.Message}. Fix: keep every line Key=Value or a ; comment");
            return ExitUsage;
        }
        using var interruption = Interruption.Install();
        var context = new BuildContext(cakeContext, options, root, HostPlatform.Detect(), tasks, builders);
        if (Btm.Build.Publishing.PublishJournal.Interrupted(root) is { } interrupted)
            context.Warn(interrupted);
        if (!TargetSelection.NeedsNoModel(target))
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

        // One clone, one MCP-service build at a time, beside any number of command-line runs (which take
        // turns per unit). Registry serves until stopped and builds nothing, so it takes no part.
        using var cloneLock = TargetSelection.NeedsNoModel(target) || target.Name is "Registry" or "KeyGen"
            ? null
            : CloneLock.ForRun(root, Environment.GetEnvironmentVariable(CloneLock.HeldVariable),
                path => context.Info($"waiting for the clone lock ({Path.GetRelativePath(root, path)}): a build of the MCP service (btm mcp) is running in this clone"),
                CancellationToken.None);
        var run = new EngineRun(context, cakeContext, data, tasks);
        try
        {
            run.Execute(target);
        }
        catch (Exception e)
        {
            RunReport.Print(context, run.Report);
            return FailureReport.Print(context, e);
        }
        finally
        {
            // A release begun for a unit pipeline that then failed: its temp folder goes.
            context.Packing?.Dispose();
        }
        RunReport.Print(context, run.Report);
        return 0;
    }
}
