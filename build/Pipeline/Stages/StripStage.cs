using Btm.Cake.Strip;
using Btm.Core.Checkpoints;
using Cake.Core.IO;
using Path = System.IO.Path;

namespace Btm.Build.Pipeline;

/// <summary>Copies the compiled binaries and strips their symbols with the target's strip.</summary>
public sealed class StripStage : IUnitStage
{
    public CheckpointStage Stage => CheckpointStage.Stripped;

    public string? Produce(BuildContext context, BuildUnit unit, string outDir)
    {
        BinaryCollector.CopyBetweenStages(unit, unit.OutputDir(CheckpointStage.Compiled), outDir);
        if (unit.Builder.KeepUnstripped is { } why)
            return why;
        // zig's linker signs darwin executables ad hoc; stripping afterwards would void the
        // signature, and macOS kills unsigned arm64 code. Only Apple's toolchain re-signs.
        if (unit.Platform.Os == "darwin" && !OperatingSystem.IsMacOS())
            return "kept as linked: stripping would void the ad-hoc code signature (strip on a macOS runner)";
        context.Strip(new StripSettings
        {
            Files = unit.Package.Binaries.Select(b => (FilePath)Path.Combine(outDir, unit.BinaryFileName(b))).ToList(),
            Executable = unit.Toolchain.Strip,
            Flavor = unit.Toolchain.StripFlavor,
        });
        return null;
    }
}
