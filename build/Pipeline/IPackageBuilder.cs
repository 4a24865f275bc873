namespace Btm.Build.Pipeline;

/// <summary>Turns a package's sources into its binaries for one unit, and runs its tests.</summary>
public interface IPackageBuilder
{
    /// <summary>The program this builder drives, for CheckTools.</summary>
    string ToolCommand { get; }

    /// <summary>Builds, then copies each declared binary into <paramref name="outDir"/>.</summary>
    void Compile(BuildContext context, BuildUnit unit, string outDir);

    /// <summary>Runs the package's tests; returns a one-line result for the log.</summary>
    string Test(BuildContext context, BuildUnit unit);
}
