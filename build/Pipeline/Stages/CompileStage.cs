using Btm.Core.Checkpoints;

namespace Btm.Build.Pipeline;

/// <summary>
/// The compile skeleton, the same for every builder: the package folder is watched while the
/// builder builds, then the declared binaries, "install" and "files" entries and the licence
/// texts are collected from where the builder says its results are.
/// </summary>
public sealed class CompileStage : IUnitStage
{
    public CheckpointStage Stage => CheckpointStage.Compiled;

    public string? Produce(BuildContext context, BuildUnit unit, string outDir)
    {
        var guard = PackageFolderGuard.Watch(unit);
        var output = unit.Builder.Build(context, unit);
        guard.Check(unit);
        UnitOutputs.Collect(context, unit, output, outDir);
        return null;
    }
}
