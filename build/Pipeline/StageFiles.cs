namespace Btm.Build.Pipeline;

public static class StageFiles
{
    /// <summary>Copies a unit's declared binaries from one stage's output to another's (mode bits kept).</summary>
    public static void CopyBinaries(BuildUnit unit, string fromDir, string toDir)
    {
        Directory.CreateDirectory(toDir);
        foreach (var binary in unit.Package.Binaries)
        {
            var file = unit.BinaryFileName(binary);
            var source = Path.Combine(fromDir, file);
            if (!File.Exists(source))
                throw new InvalidOperationException($"{unit}: {source} is missing; run with --force to rebuild every stage");
            File.Copy(source, Path.Combine(toDir, file), overwrite: true);
        }
    }
}
