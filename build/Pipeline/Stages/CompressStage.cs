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

    public string? Produce(BuildContext context, BuildUnit unit, string outDir)
    {
        // The scheduler ran the stub's unit through this stage first, so its shipped stage is done.
        var stubUnit = unit.Dependencies.FirstOrDefault(d => d.Package.Name == PackageManifest.StubPackage)
            ?? throw new BuildFailedException($"{unit}: \"compress\": true needs packages/{PackageManifest.StubPackage} built for {unit.Platform}");
        var stub = stubUnit.Layout.Binary(stubUnit.ShippedStage, PackageManifest.StubPackage);
        if (!File.Exists(stub))
            throw new BuildFailedException($"{unit}: the stub {stub} is missing; run with --force to rebuild every stage");
        var kept = new List<string>();
        foreach (var binary in unit.Package.Binaries.Select(unit.BinaryFileName))
        {
            var input = Path.Combine(unit.OutputDir(CheckpointStage.Stripped), binary);
            var output = Path.Combine(outDir, binary);
            var result = context.Binpress(new BinpressSettings { Input = input, Output = (FilePath)output, Stub = stub });
            // A compressed binary pays a cold start; it has to be worth it.
            var saving = 100.0 * (result.OriginalSize - result.CompressedSize) / Math.Max(1, result.OriginalSize);
            if (saving < unit.Package.CompressMinSaving)
            {
                File.Copy(input, output, overwrite: true);
                var why = $"{binary} ships uncompressed: compressing saved {saving:0.#}% ({result.OriginalSize} -> {result.CompressedSize} bytes), " +
                    $"less than the {unit.Package.CompressMinSaving}% \"compress.minSaving\" asks";
                context.Warn($"{unit}: {why}");
                kept.Add(why);
                continue;
            }
            context.Info($"{unit} {binary}: {result.OriginalSize} -> {result.CompressedSize} bytes ({saving:0.#}% smaller)");
        }
        return kept.Count == 0 ? null : string.Join("; ", kept);
    }
}
