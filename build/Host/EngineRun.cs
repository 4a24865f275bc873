using Btm.Cake.Logging;
using Cake.Core;

namespace Btm.Build.Host;

/// <summary>Registers every task class with Cake's engine (dependencies, criteria with reasons) and runs a target.</summary>
public sealed class EngineRun(BuildContext context, ICakeContext cakeContext, ICakeDataService data, IReadOnlyList<TaskInfo> tasks)
{
    public TaskReport Report { get; } = new();

    public void Execute(TaskInfo target)
    {
        var engine = new CakeEngine(data, cakeContext.Log);
        var skipReasons = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var info in tasks)
        {
            var task = (BtmTaskBase)Activator.CreateInstance(info.Type)!;
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
                builder.Does(async () => { if (Decide()) await task.ExecuteAsync(context); });
            else
                builder.WithCriteria(_ => Decide()).Does(() => task.ExecuteAsync(context));
        }
        engine.RegisterTaskTeardownAction(teardown =>
        {
            var name = teardown.Task.Name;
            var skipped = teardown.Skipped || skipReasons.ContainsKey(name);
            var status = skipped ? "skipped" : teardown.Successful ? "done" : "failed";
            Report.Add(new TaskReportEntry(name, status, teardown.Duration, skipped ? skipReasons.GetValueOrDefault(name) : null));
        });
        engine.RunTargetAsync(cakeContext, new DefaultExecutionStrategy(cakeContext.Log, new StepPrinter(cakeContext.Log)),
            new ExecutionSettings().SetTarget(target.Name)).GetAwaiter().GetResult();
    }
}
