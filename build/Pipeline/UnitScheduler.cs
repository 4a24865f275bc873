using System.Runtime.ExceptionServices;
using Btm.Cake.Logging;
using Btm.Core;
using Btm.Core.Model;
using Cake.Core;

namespace Btm.Build.Pipeline;

/// <summary>
/// Runs work for units concurrently, up to <c>--jobs</c> at a time, a unit only after the units it
/// depends on (within the same batch) have finished. The first failure stops new work; units
/// already running finish; units never started are reported as skipped, naming the failure.
/// </summary>
public sealed class UnitScheduler(int jobs, ICakeContext log)
{
    public int Jobs { get; } = Math.Max(1, jobs);

    /// <param name="notStarted">Called for each unit left unstarted after a failure, with the reason.</param>
    public void Run(IReadOnlyList<BuildUnit> units, Action<BuildUnit> work, Action<BuildUnit, string>? notStarted = null)
    {
        if (units.Count == 0)
            return;
        var batch = new HashSet<BuildUnit>(units);
        var completed = new HashSet<BuildUnit>();
        var started = new HashSet<BuildUnit>();
        var failures = new List<(BuildUnit Unit, Exception Error)>();
        var gate = new object();

        var helpers = new List<Thread>();
        var wanted = Math.Min(Jobs, units.Count) - 1;

        BuildUnit? Next()
        {
            BuildUnit? first = null;
            foreach (var unit in units)
            {
                if (started.Contains(unit))
                    continue;
                var ready = true;
                foreach (var dep in unit.Dependencies)
                    ready &= !batch.Contains(dep) || completed.Contains(dep);
                if (!ready)
                    continue;
                if (first is not null)
                {
                    // Helpers start only once two units are ready at the same time: a chain of
                    // dependent units (and a no-op build) never pays for threads.
                    StartHelpers();
                    break;
                }
                first = unit;
            }
            return first;
        }

        void Worker()
        {
            while (true)
            {
                BuildUnit unit;
                lock (gate)
                {
                    BuildUnit? next;
                    while ((next = failures.Count > 0 || started.Count == units.Count ? null : Next()) is null)
                    {
                        if (failures.Count > 0 || started.Count == units.Count)
                            return;
                        Monitor.Wait(gate);
                    }
                    unit = next;
                    started.Add(unit);
                }
                try
                {
                    work(unit);
                    lock (gate)
                        completed.Add(unit);
                }
                catch (Exception e)
                {
                    lock (gate)
                        failures.Add((unit, e));
                }
                finally
                {
                    lock (gate)
                        Monitor.PulseAll(gate);
                }
            }
        }

        void StartHelpers()
        {
            while (helpers.Count < wanted)
            {
                var helper = new Thread(Worker) { Name = $"btm-unit-{helpers.Count + 1}", IsBackground = true };
                helpers.Add(helper);
                helper.Start();
            }
        }

        // This thread is one of the workers; the helpers (started under the gate) are joined after it.
        Worker();
        List<Thread> running;
        lock (gate)
            running = helpers.ToList();
        foreach (var helper in running)
            helper.Join();

        if (failures.Count == 0)
            return;
        var cause = string.Join(", ", failures.Select(f => f.Unit.ToString()));
        foreach (var unit in units.Where(u => !started.Contains(u)))
            notStarted?.Invoke(unit, $"not started: {cause} failed");
        // A settings error stays one, wherever a unit raised it: it names the file and field, and exits 2.
        if (failures.FirstOrDefault(f => f.Error is ConfigException) is { Error: ConfigException config })
        {
            foreach (var (unit, error) in failures.Where(f => f.Error != config))
                log.Fail($"{unit}: {error.Message}");
            ExceptionDispatchInfo.Capture(config).Throw();
        }
        if (failures.Count == 1)
        {
            var (unit, error) = failures[0];
            if (error is BuildFailedException)
                throw new BuildFailedException($"{unit}: {error.Message}", error);
            log.Fail($"{unit}: failed with an unexpected error");
            ExceptionDispatchInfo.Capture(error).Throw();
        }
        foreach (var (unit, error) in failures.Skip(1))
            log.Fail($"{unit}: {error.Message}");
        var first = failures[0];
        if (first.Error is not BuildFailedException)
            ExceptionDispatchInfo.Capture(first.Error).Throw();
        throw new BuildFailedException($"{failures.Count} units failed ({cause}); the first: {first.Unit}: {first.Error.Message}", first.Error);
    }
}
