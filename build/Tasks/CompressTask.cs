using Btm.Build.Host;
using Btm.Core.Checkpoints;
using Btm.Core.Model;

namespace Btm.Build.Tasks;

[TaskName("Compress")]
[TaskDescription("In prod, turns the stripped binaries of packages with \"compress\": true into self-extracting ones (out/Compressed)")]
[IsDependentOn(typeof(StripTask))]
public sealed class CompressTask : StageTask
{
    public override CheckpointStage Stage => CheckpointStage.Compressed;

    public override RunDecision ShouldRun(BuildContext context) =>
        context.Units.Any(u => u.Compresses)
            ? RunDecision.Run
            : RunDecision.Skip(context.Options.Mode == BuildMode.Prod
                ? "no selected package sets \"compress\": true"
                : "dev mode ships plain binaries (compression is for prod)");
}
