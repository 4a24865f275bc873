using Btm.Cake.Logging;
using Btm.Cake.Press;
using Btm.Core;
using Btm.Core.Checkpoints;
using Btm.Core.Model;
using Cake.Core.IO;
using Path = System.IO.Path;

namespace Btm.Build.Pipeline;

/// <summary>Turns the stripped binaries into self-extracting ones with the same platform's bin-stub.</summary>
public sealed class CompressStage : IUnitStage
{
    public CheckpointStage Stage => CheckpointStage.Compressed;

    public void Produce(BuildContext context, BuildUnit unit, string outDir)
    {
        // The scheduler ran the stub's unit through this stage first, so its shipped stage is done.
        var stubUnit = unit.Dependencies.FirstOrDefault(d => d.Package.Name == PackageManifest.StubPackage)
            ?? throw new BuildFailedException($"{unit}: \"compress\": true needs packages/{PackageManifest.StubPackage} built for {unit.Platform}");
        var stub = stubUnit.Layout.Binary(stubUnit.ShippedStage, PackageManifest.StubPackage);
        if (!File.Exists(stub))
            throw new BuildFailedException($"{unit}: the stub {stub} is missing; run with --force to rebuild every stage");
        foreach (var binary in unit.Package.Binaries.Select(unit.BinaryFileName))
        {
            var result = context.Binpress(new BinpressSettings
            {
                Input = Path.Combine(unit.OutputDir(CheckpointStage.Stripped), binary),
                Output = (FilePath)Path.Combine(outDir, binary),
                Stub = stub,
            });
            context.Info($"{unit} {binary}: {result.OriginalSize} -> {result.CompressedSize} bytes");
        }
    }
}
