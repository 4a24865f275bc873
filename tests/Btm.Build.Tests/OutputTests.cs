using System.Diagnostics;

namespace Btm.Build.Tests;

/// <summary>
/// Colour and redrawn lines are for terminals: a log written to a pipe or a file is plain text
/// unless FORCE_COLOR asks, and long work shows as periodic lines there, as a line redrawn in place
/// on a terminal.
/// </summary>
public class OutputTests
{
    /// <summary>The host's raw stdout+stderr through pipes (ProcessResult strips escapes; this must not), or through a wrapper such as script(1).</summary>
    private static string Raw(Sandbox box, IDictionary<string, string?> environment, params string[] through)
    {
        var start = new ProcessStartInfo(through.Length > 0 ? through[0] : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = box.Root };
        var host = new[] { Sandbox.HostDll, $"--root={box.Root}", "--target=Build" };
        // "{host}" in a wrapper's arguments stands for the host's command line.
        var command = string.Join(' ', host.Prepend("dotnet").Select(a => $"'{a}'"));
        foreach (var a in through.Length > 0 ? through[1..].Select(a => a == "{host}" ? command : a) : host)
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

    [Test]
    public void Long_work_shows_periodic_lines_in_a_pipe_and_a_redrawn_line_on_a_terminal()
    {
        Sandbox.RequireTools("make", "script");
        using var box = new Sandbox();
        box.AddMakePackage("slow");
        box.Write("packages/slow/Makefile", "all:\n\tsleep 3\n\t$(CC) -o $(BTM_OUT_DIR)/slow$(BTM_EXE_SUFFIX) src/main.c\n");
        box.CommitAll();
        var piped = Raw(box, new Dictionary<string, string?> { ["BTM_PROGRESS_SECONDS"] = "1" });
        var ticks = System.Text.RegularExpressions.Regex.Matches(piped, @"^info    slow .*compiled: building: (\d+)s so far$", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => int.Parse(m.Groups[1].Value)).ToList();
        Assert.That(ticks.Count, Is.GreaterThanOrEqualTo(2), piped);
        Assert.That(ticks, Is.Ordered.Ascending, "each line says the time so far");
        Assert.That(piped, Does.Not.Contain("\r"), "nothing redrawn in a pipe");

        // script(1) gives the host a terminal: the same work is one line redrawn in place, then cleared.
        box.Write("packages/slow/src/main.c", "int main(void) { return 0; }\n");
        var terminal = Raw(box, new Dictionary<string, string?> { ["BTM_PROGRESS_SECONDS"] = "1", ["TERM"] = "xterm" }, "script", "-qec", "{host}", "/dev/null");
        Assert.That(terminal, Does.Contain("\rslow").And.Contain("compiled: building: ").And.Contain("\r\u001b[K"), terminal);
        Assert.That(terminal, Does.Not.Contain("s so far"), "no periodic lines on a terminal");
    }
}
