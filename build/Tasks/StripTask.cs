using Btm.Build.Host;
using Btm.Build.Pipeline;
using Btm.Cake.Strip;
using Btm.Core.Checkpoints;
using Cake.Core.IO;
using Path = System.IO.Path;

namespace Btm.Build.Tasks;

[TaskName("Strip")]
[TaskDescription("Copies the compiled binaries to out/Stripped and strips their symbols, or restores them")]
[IsDependentOn(typeof(CompileTask))]
public sealed class StripTask : UnitTask
{
    public override void Run(BuildContext context)
    {
        foreach (var unit in context.Units)
        {
            StageRunner.Run(context, unit, CheckpointStage.Stripped, context.KeyFor(unit), outDir =>
            {
                StageFiles.CopyBinaries(unit, unit.OutputDir(CheckpointStage.Compiled), outDir);
                context.Strip(new StripSettings
                {
                    Files = unit.Package.Binaries.Select(b => (FilePath)Path.Combine(outDir, unit.BinaryFileName(b))).ToList(),
                    Executable = unit.Toolchain.Strip,
                    Flavor = unit.Toolchain.StripFlavor,
                });
            });
        }
    }
}
