using Btm.Cake.Hosting;
using Cake.Core;
using Cake.Core.Diagnostics;

namespace Btm.Cake.Tests;

internal static class Tools
{
    // Cake's environment makes its working directory the process's current directory, so it is
    // always the test folder, never a temp folder a test deletes; tests pass absolute paths.
    public static ICakeContext Context() =>
        CakeContextFactory.Create(TestContext.CurrentContext.TestDirectory, Verbosity.Quiet, []).Context;

    public static ICakeEnvironment Environment() => Context().Environment;

    public static string? OnPath(string command) =>
        (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, command)).FirstOrDefault(File.Exists);

    public static string Require(string command)
    {
        var path = OnPath(command);
        if (path is null)
            Assert.Ignore($"{command} is not installed (see README prerequisites)");
        return path!;
    }

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "btm-cake-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
