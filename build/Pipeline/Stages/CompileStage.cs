using Btm.Core.Checkpoints;

namespace Btm.Build.Pipeline;

/// <summary>The package's builder compiles it and its declared binaries are collected.</summary>
public sealed class CompileStage : IUnitStage
{
    public CheckpointStage Stage => CheckpointStage.Compiled;

    public string? Produce(BuildContext context, BuildUnit unit, string outDir)
    {
        unit.Builder.Compile(context, unit, outDir);
        return null;
    }
}
