using Cake.Core;
using Cake.Core.Diagnostics;

namespace Btm.Build.Host;

/// <summary>Prints a header as each task starts; skips are logged with their reason by the host.</summary>
public sealed class StepPrinter(ICakeLog log) : ICakeReportPrinter
{
    public void Write(CakeReport report)
    {
    }

    public void WriteStep(string name, Verbosity verbosity) =>
        log.Write(Verbosity.Normal, LogLevel.Information, "{0}", $"==> {name}");

    public void WriteLifeCycleStep(string name, Verbosity verbosity)
    {
    }

    public void WriteSkippedStep(string name, Verbosity verbosity)
    {
    }
}
