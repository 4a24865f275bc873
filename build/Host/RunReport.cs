using Cake.Core.Diagnostics;

namespace Btm.Build.Host;

/// <summary>Prints the task report and the per-stage summary (and writes --summary), on success and failure alike.</summary>
public static class RunReport
{
    public static void Print(BuildContext context, TaskReport report)
    {
        context.Versions.Save();
        if (context.Options.Target.Equals("Tasks", StringComparison.OrdinalIgnoreCase))
            return;
        var remote = context.RemoteCache;
        var lines = report.Render().Concat(context.Summary.Render().Prepend("").Where(_ => context.Summary.Entries.Count > 0));
        if (remote is not null)
            lines = lines.Append(remote.Report());
        context.Log.Write(Verbosity.Minimal, LogLevel.Information, "{0}", "");
        foreach (var line in lines)
            context.Log.Write(Verbosity.Minimal, LogLevel.Information, "{0}", line);
        if (context.Options.SummaryPath is not null)
            context.Summary.WriteJson(Path.GetFullPath(context.Options.SummaryPath, context.RepoRoot), remote?.Counts);
    }
}
