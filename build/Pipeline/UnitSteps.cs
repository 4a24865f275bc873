using System.Collections.Concurrent;
using Btm.Build.Host;
using Btm.Build.Tasks;
using Btm.Core.Checkpoints;
using Btm.Core.Pipeline;

namespace Btm.Build.Pipeline;

/// <summary>The per-unit part of a task that runs after Build: Test runs a unit's tests, Package packs its platform package.</summary>
/// <param name="Task">The task's name, as the run lists it.</param>
/// <param name="Wants">Whether the unit has this step at all (a package with "test": false has no Test step).</param>
public sealed record UnitStep(string Task, Func<BuildUnit, bool> Wants, Action<BuildUnit> Run);

/// <summary>A task whose work splits per unit: the unit pipeline does its step for each unit as soon as the unit's binaries are final.</summary>
public interface IPerUnitTask
{
    /// <summary>The task's step, or null when it will not run (its ShouldRun skips); may begin what its units share.</summary>
    UnitStep? Step(BuildContext context);
}

/// <summary>
/// The steps of this run's tasks after Build. When the run builds through Final, the unit pipeline
/// does each unit's steps right after its last stage, inside the scheduler and under the unit's
/// lock: one unit packs while another still compiles, so --jobs speeds up the whole Release, not
/// only the compiles. The task itself then does the units no pipeline did, and its whole-release
/// part (Package: wrappers, manifest, signature). A step runs at most once per unit.
/// </summary>
public sealed class UnitSteps(BuildContext context)
{
    private readonly ConcurrentDictionary<(string Task, BuildUnit Unit), bool> _done = new();
    private readonly Dictionary<string, UnitStep?> _steps = new(StringComparer.Ordinal);
    private IReadOnlyList<string>? _runOrder;
    private CheckpointStage? _furthest;

    /// <summary>The tasks this run executes, dependencies first.</summary>
    public IReadOnlyList<string> RunOrder => _runOrder ??= context.Tasks.Any(t => t.Name.Equals(context.Options.Target, StringComparison.OrdinalIgnoreCase))
        ? TaskCatalog.ExecutionOrder(context.Tasks, context.Options.Target)
        : [];

    /// <summary>The last stage any stage task of this run asks for, and never before <paramref name="asked"/>.</summary>
    public CheckpointStage FurthestStage(CheckpointStage asked)
    {
        _furthest ??= RunOrder.Select(Task).OfType<StageTask>().Select(t => t.Stage).DefaultIfEmpty(asked).MaxBy(StageTable.IndexOf)!;
        return StageTable.IndexOf(_furthest) > StageTable.IndexOf(asked) ? _furthest : asked;
    }

    /// <summary>The steps of the run's per-unit tasks, in run order.</summary>
    public IReadOnlyList<UnitStep> AfterBuild() => RunOrder.Select(Of).OfType<UnitStep>().ToList();

    /// <summary>The step of <paramref name="task"/> in this run, asked of the task once; null when the run does not include it or it skips.</summary>
    public UnitStep? Of(string task)
    {
        lock (_steps)
        {
            if (!_steps.TryGetValue(task, out var step))
                _steps[task] = step = Task(task) is IPerUnitTask perUnit && RunOrder.Contains(task) ? perUnit.Step(context) : null;
            return step;
        }
    }

    /// <summary>The step of the task class <typeparamref name="TTask"/>, by its [TaskName].</summary>
    public UnitStep? Of<TTask>() where TTask : IPerUnitTask => Of(TaskName<TTask>());

    private static string TaskName<TTask>() =>
        typeof(TTask).GetCustomAttributes(typeof(TaskNameAttribute), inherit: false).OfType<TaskNameAttribute>().Single().Name;

    /// <summary>Does the unit's step unless it has none or it is done; the caller holds the unit's lock.</summary>
    public void Do(UnitStep step, BuildUnit unit)
    {
        if (step.Wants(unit) && _done.TryAdd((step.Task, unit), true))
            step.Run(unit);
    }

    /// <summary>The units <paramref name="step"/> wants that no pipeline did, each under its lock, --jobs at a time.</summary>
    public void Finish(UnitStep step, Action<BuildUnit, string> notStarted)
    {
        var left = context.Units.Where(u => step.Wants(u) && !_done.ContainsKey((step.Task, u))).ToList();
        context.Scheduler.Run(left, unit =>
        {
            using var unitLock = UnitLock.Acquire(context, unit);
            Do(step, unit);
        }, notStarted);
    }

    private BtmTaskBase? Task(string name) =>
        context.Tasks.FirstOrDefault(t => t.Name == name) is { } info ? (BtmTaskBase)Activator.CreateInstance(info.Type)! : null;
}
