using Btm.Cake.Tooling;
using Cake.Core;
using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Btm.Cake.Installers;

/// <summary>One runner for the installer programs: each settings class says its arguments; a failure carries the tool's last lines.</summary>
public sealed class InstallerRunner<TSettings>(ICakeContext context, string tool, Func<TSettings, ProcessArgumentBuilder> arguments)
    : CapturingTool<TSettings>(context.FileSystem, context.Environment, context.ProcessRunner, context.Tools)
    where TSettings : ToolSettings
{
    public IReadOnlyList<string> Run(TSettings settings) => RunCaptured(settings, arguments(settings));

    protected override string GetToolName() => tool;

    protected override IEnumerable<string> GetToolExecutableNames() => [tool];
}
