using Btm.Core.Model;

namespace Btm.Build.Host;

/// <summary>Which task to run and in which repo; mistakes here are usage errors (exit 2).</summary>
public static class TargetSelection
{
    public static TaskInfo Target(IReadOnlyList<TaskInfo> tasks, string name) =>
        tasks.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new UsageException($"unknown target '{name}'; tasks are: {string.Join(", ", tasks.Select(t => t.Name))}");

    /// <summary>Tasks that only describe BTM itself run without reading the repo's settings.</summary>
    public static bool NeedsNoModel(TaskInfo target) => target.Name == "Tasks";

    public static string Root(string? explicitRoot)
    {
        if (explicitRoot is not null)
        {
            var full = Path.GetFullPath(explicitRoot);
            return File.Exists(Path.Combine(full, RepoSettings.FileName))
                ? full
                : throw new UsageException($"--root={explicitRoot}: no {RepoSettings.FileName} in {full}");
        }
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, RepoSettings.FileName)))
                return dir.FullName;
        }
        throw new UsageException($"no {RepoSettings.FileName} in {Directory.GetCurrentDirectory()} or any folder above it: " +
            "run from the repo or pass --root=<folder>");
    }
}
