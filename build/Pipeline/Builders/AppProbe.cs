using Btm.Core;
using Btm.Core.Checkpoints;
using Btm.Core.Platforms;

namespace Btm.Build.Pipeline;

/// <summary>
/// The test of an app with nothing of its own to test (a SEA, a Bun executable): each compiled
/// binary runs the package's verify probe, natively or under the target's emulator.
/// </summary>
public static class AppProbe
{
    public static TestResult Run(BuildContext context, BuildUnit unit)
    {
        if (!unit.Toolchain.Runnable(context.Host))
            return TestResult.NotRun($"nothing runs {unit.Platform} programs here (Verify checks them structurally)");
        if (MuslLibraries.Missing(unit.Platform, unit.Builder.SystemLibraries(unit.Platform)) is { } why)
            return TestResult.NotRun(why);
        var probe = unit.Package.Verify;
        if (!probe.Enabled)
            return TestResult.NotRun(probe.DisabledReason ?? "btm.json \"verify\" is off");
        foreach (var binary in unit.Package.Binaries)
        {
            var file = Path.Combine(unit.OutputDir(CheckpointStage.Compiled), unit.BinaryFileName(binary));
            var (ok, exit, output, expected) = ToolProbe.Probe(unit.Toolchain, file, binary, probe, context.VersionOf(unit.Package));
            if (!ok)
                throw new BuildFailedException($"{unit}: `{string.Join(" ", new[] { binary }.Concat(probe.Args))}` exited {exit} printing '{output.Trim()}'; expected '{expected}'");
        }
        var emulated = !HostPlatform.CanRun(context.Host, unit.Platform) && unit.Toolchain.Emulator is { Count: > 0 } emulator ? $" under {Path.GetFileName(emulator[0])}" : "";
        return TestResult.Passed($"the app ran{emulated} and printed its version");
    }
}
