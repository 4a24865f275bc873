using System.Reflection;

namespace Btm.Build.Host;

public sealed record TaskInfo(string Name, string Description, IReadOnlyList<string> Dependencies, Type Type);

/// <summary>The tasks of this assembly, read from their attributes.</summary>
public static class TaskCatalog
{
    public static IReadOnlyList<TaskInfo> Discover(Assembly assembly)
    {
        var tasks = assembly.GetTypes()
            .Where(t => typeof(BtmTaskBase).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(Describe)
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .ToList();
        var names = tasks.Select(t => t.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var task in tasks)
        {
            foreach (var dep in task.Dependencies.Where(d => !names.Contains(d)))
                throw new InvalidOperationException($"task {task.Name} depends on {dep}, which is not a task");
        }
        return tasks;
    }

    private static TaskInfo Describe(Type type)
    {
        var name = type.GetCustomAttribute<TaskNameAttribute>()?.Name
            ?? throw new InvalidOperationException($"{type.Name} has no [TaskName]");
        var description = type.GetCustomAttribute<TaskDescriptionAttribute>()?.Description
            ?? throw new InvalidOperationException($"{type.Name} has no [TaskDescription]");
        if (!type.IsSealed)
            throw new InvalidOperationException($"{type.Name} must be sealed");
        var deps = type.GetCustomAttributes<IsDependentOnAttribute>()
            .Select(a => a.Task.GetCustomAttribute<TaskNameAttribute>()?.Name
                ?? throw new InvalidOperationException($"{type.Name} depends on {a.Task.Name}, which has no [TaskName]"))
            .ToList();
        return new TaskInfo(name, description, deps, type);
    }

    /// <summary>The tasks <paramref name="target"/> runs, dependencies first, as Cake orders them.</summary>
    public static IReadOnlyList<string> ExecutionOrder(IReadOnlyList<TaskInfo> tasks, string target)
    {
        var byName = tasks.ToDictionary(t => t.Name, StringComparer.OrdinalIgnoreCase);
        var order = new List<string>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        void Visit(string name)
        {
            if (!seen.Add(name))
                return;
            foreach (var dep in byName[name].Dependencies)
                Visit(dep);
            order.Add(byName[name].Name);
        }
        Visit(target);
        return order;
    }
}
