namespace Btm.Build.Host;

public static class HelpText
{
    public static IReadOnlyList<string> Render(IReadOnlyList<TaskInfo> tasks)
    {
        var lines = new List<string>
        {
            "BTM: builds, packs and publishes native components as npm packages.",
            "",
            "Usage: ./build.sh [--target=<task>] [options]",
            "       ./build.ps1 -Target <task> [options]",
            "       dotnet cake --target=<task> [options]",
            "",
            "Options:",
        };
        var width = HostOptionsParser.Options.Max(o => o.Name.Length + (o.ValueName?.Length + 1 ?? 0)) + 2;
        foreach (var o in HostOptionsParser.Options)
            lines.Add($"  --{(o.ValueName is null ? o.Name : $"{o.Name}={o.ValueName}").PadRight(width)}  {o.Help}");
        lines.Add("");
        lines.Add("Tasks:");
        lines.AddRange(TaskList(tasks));
        lines.Add("");
        lines.Add("Environment: BUILD_MODE (dev|prod), CC, CXX, CFLAGS, LDFLAGS ... (part of the cache key; see docs/checkpoints.md)");
        return lines;
    }

    public static IReadOnlyList<string> TaskList(IReadOnlyList<TaskInfo> tasks)
    {
        var width = tasks.Max(t => t.Name.Length);
        return tasks.Select(t => $"  {t.Name.PadRight(width)}  {t.Description}" +
            (t.Dependencies.Count > 0 ? $" (after: {string.Join(", ", t.Dependencies)})" : "")).ToList();
    }
}
