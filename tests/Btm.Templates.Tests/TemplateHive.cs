using Btm.Build.Tests;

namespace Btm.Templates.Tests;

/// <summary>
/// `dotnet new` with its own template cache and home folder, so installing the template in a
/// test never touches the user's installed templates.
/// </summary>
public sealed class TemplateHive : IDisposable
{
    public TemplateHive()
    {
        Root = Path.Combine(Path.GetTempPath(), "btm-hive-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }
    public string TemplateFolder => Path.Combine(Sandbox.RepoRoot, "templates", "btm-package");

    public ProcessResult DotnetNew(string workingDirectory, params string[] args) =>
        ProcessResult.Run("dotnet", ["new", .. args, "--debug:custom-hive", Path.Combine(Root, "hive")], workingDirectory,
            new Dictionary<string, string?> { ["DOTNET_CLI_HOME"] = Path.Combine(Root, "home"), ["DOTNET_NOLOGO"] = "1" });

    public void Install(string source)
    {
        var r = DotnetNew(Root, "install", source);
        Assert.That(r.ExitCode, Is.Zero, r.Output);
    }

    /// <summary>Instantiates btm-package into <paramref name="output"/>; returns the files made, relative and sorted.</summary>
    public IReadOnlyList<string> Create(string output, params string[] args)
    {
        var r = DotnetNew(Root, ["btm-package", .. args, "-o", output]);
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        return Directory.GetFiles(output, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(output, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
