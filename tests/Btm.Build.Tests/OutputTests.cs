using System.Diagnostics;

namespace Btm.Build.Tests;

/// <summary>Colour is for terminals: a log written to a pipe or a file is plain text unless FORCE_COLOR asks.</summary>
public class OutputTests
{
    /// <summary>The host's raw stdout+stderr through pipes (ProcessResult strips escapes; this must not).</summary>
    private static string Raw(Sandbox box, IDictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = box.Root };
        foreach (var a in new[] { Sandbox.HostDll, $"--root={box.Root}", "--target=Build" })
            start.ArgumentList.Add(a);
        foreach (var name in new[] { "FORCE_COLOR", "NO_COLOR", "CI", "CC", "BUILD_MODE" })
            start.Environment.Remove(name);
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero, stdout + stderr.Result);
        return stdout + stderr.Result;
    }

    [Test]
    public void A_piped_log_has_no_colour_codes_and_FORCE_COLOR_brings_them_back()
    {
        Sandbox.RequireTools("make");
        using var box = new Sandbox();
        box.AddMakePackage("plain");
        box.CommitAll();
        var piped = Raw(box, new Dictionary<string, string?>());
        Assert.That(piped, Does.Contain("success").And.Not.Contain("\u001b["), "a pipe gets plain text");
        var forced = Raw(box, new Dictionary<string, string?> { ["FORCE_COLOR"] = "1" });
        Assert.That(forced, Does.Contain("\u001b["), "FORCE_COLOR colours it anyway");
        var both = Raw(box, new Dictionary<string, string?> { ["FORCE_COLOR"] = "0", ["NO_COLOR"] = "1" });
        Assert.That(both, Does.Not.Contain("\u001b["));
    }
}
