using Btm.Build.Host;
using Btm.Build.Pipeline;
using Btm.Cake.Press;
using Btm.Core.Checkpoints;
using Btm.Core.Model;
using Cake.Core.IO;
using Path = System.IO.Path;

namespace Btm.Build.Tasks;

[TaskName("Compress")]
[TaskDescription("In prod, turns the stripped binaries of packages with \"compress\": true into self-extracting ones (out/Compressed)")]
[IsDependentOn(typeof(StripTask))]
public sealed class CompressTask : BtmTask
{
    public override RunDecision ShouldRun(BuildContext context) =>
        context.Units.Any(u => u.Compresses)
            ? RunDecision.Run
            : RunDecision.Skip(context.Options.Mode == BuildMode.Prod
                ? "no selected package sets \"compress\": true"
                : "dev mode ships plain binaries (compression is for prod)");

    public override void Run(BuildContext context)
    {
        foreach (var unit in context.Units.Where(u => u.Compresses))
        {
            var stubUnit = context.Units.First(u => u.Package.Name == PackageManifest.StubPackage && u.Platform == unit.Platform);
            // Stages run stage by stage across packages, so the stub's Final is not made yet; in prod
            // (the only mode that compresses) its Final is its Stripped output anyway.
            var stub = Path.Combine(stubUnit.OutputDir(CheckpointStage.Stripped), stubUnit.BinaryFileName("bin-stub"));
            StageRunner.Run(context, unit, CheckpointStage.Compressed, context.KeyFor(unit), outDir =>
            {
                foreach (var binary in unit.Package.Binaries.Select(unit.BinaryFileName))
                {
                    var result = context.Binpress(new BinpressSettings
                    {
                        Input = Path.Combine(unit.OutputDir(CheckpointStage.Stripped), binary),
                        Output = (FilePath)Path.Combine(outDir, binary),
                        Stub = stub,
                    });
                    Btm.Cake.Logging.BtmLog.Info(context, $"{unit} {binary}: {result.OriginalSize} -> {result.CompressedSize} bytes");
                }
            });
        }
    }
}
