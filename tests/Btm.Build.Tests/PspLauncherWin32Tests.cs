using System.Diagnostics;
using System.Formats.Tar;
using Btm.Core.Psp;
using Btm.Core.Release;

namespace Btm.Build.Tests;

/// <summary>
/// The Windows launcher (packages/psp-launcher/src/launcher_win32.c), built by BTM with mingw and
/// run under wine as real processes: the entry's command line, environment and exit code, refusals
/// before anything runs, environments as hard-linked trees of the shared slots, repair of a
/// tampered entry, the size cap, and concurrent first runs.
/// </summary>
[NonParallelizable]
public class PspLauncherWin32Tests
{
    private const string Wine = "/usr/lib/wine/wine64";
    private Sandbox? _box;
    private string _launcher = "";
    private string _tool = "";
    private string _work = "";
    private Dictionary<string, string?> _wine = [];
    private readonly List<(Process Process, Task Read)> _kept = [];
    private static readonly Ed25519Keys.KeyPair Key = Ed25519Keys.FromSeed(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    // Records each run in %PSP_MARK%, prints its arguments one per line, GOLDEN and the app's text, exits 7.
    private const string ToolSource = """
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <windows.h>
        int main(int argc, char **argv) {
          const char *mark = getenv("PSP_MARK");
          if (mark && *mark) { FILE *m = fopen(mark, "a"); if (m) { fputs("ran\n", m); fclose(m); } }
          for (int i = 1; i < argc; i++) printf("arg[%d]=%s\n", i, argv[i]);
          printf("env: GOLDEN=%s\n", getenv("GOLDEN") ? getenv("GOLDEN") : "");
          BOOL in_job = FALSE;
          IsProcessInJob(GetCurrentProcess(), NULL, &in_job);
          printf("in a job: %d\n", in_job ? 1 : 0);
          char path[4096];
          snprintf(path, sizeof path, "%s\\main.txt", getenv("HOME_OF_APP") ? getenv("HOME_OF_APP") : ".");
          FILE *f = fopen(path, "r");
          char line[256];
          if (f) { while (fgets(line, sizeof line, f)) fputs(line, stdout); fclose(f); }
          const char *sleep_for = getenv("PSP_SLEEP");
          if (sleep_for && *sleep_for) Sleep((DWORD)atoi(sleep_for) * 1000);
          fflush(stdout);
          return 7;
        }
        """;

    [OneTimeSetUp]
    public void BuildLauncher()
    {
        Sandbox.RequireTools("cmake", "x86_64-w64-mingw32-gcc");
        if (!File.Exists(Wine))
            Assert.Ignore("wine64 is not installed (apt-get install wine64)");
        _box = new Sandbox("bin-stub", "psp-launcher");
        // Test runs the launcher's ctest under wine too: the C reader on the golden package, as a PE.
        var r = _box.Run("--target=Test", "--mode=prod", "--package=psp-launcher", "--platform=win32-x64");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        Assert.That(r.Output, Does.Contain("psp-launcher win32-x64 prod: 100% tests passed"));
        _launcher = Path.Combine(_box.Package("psp-launcher"), "build", "prod", "win32-x64", "out", "Final", "psp-launcher.exe");
        Assert.That(File.Exists(_launcher), _launcher);
        _work = Path.Combine(_box.Root, "work");
        Directory.CreateDirectory(_work);
        File.WriteAllText(Path.Combine(_work, "tool.c"), ToolSource);
        _tool = Path.Combine(_work, "tool.exe");
        var cc = ProcessResult.Run("x86_64-w64-mingw32-gcc", ["-O2", "-static", "-o", _tool, Path.Combine(_work, "tool.c")], _work);
        Assert.That(cc.ExitCode, Is.Zero, cc.Output);
        var prefix = Path.Combine(_box.Root, "wineprefix");
        Directory.CreateDirectory(prefix);
        _wine = new Dictionary<string, string?> { ["WINEPREFIX"] = prefix, ["WINEDEBUG"] = "-all" };
        // One wine server, and wine's system processes (services.exe…), for the whole fixture,
        // started here: they keep the stderr of the run that starts them until the server exits,
        // which would hold a test's output open. The prefix is made here too, once: twelve
        // concurrent first runs would race to make it.
        Assert.That(StartKeepingPipes("/usr/lib/wine/wineserver", "-p"), Is.Zero, "wineserver -p");
        Assert.That(StartKeepingPipes(Wine, _tool), Is.EqualTo(7), "the first run of the tool under wine, which makes the prefix");
    }

    [OneTimeTearDown]
    public void Cleanup()
    {
        if (_wine.Count > 0)
            ProcessResult.Run("/usr/lib/wine/wineserver", ["-k"], _work, _wine);
        if (!Task.WaitAll(_kept.Select(k => k.Read).ToArray(), TimeSpan.FromSeconds(10)))
            TestContext.Progress.WriteLine("wineserver -k left wine processes of this fixture running");
        foreach (var (process, _) in _kept)
            process.Dispose();
        _box?.Dispose();
    }

    /// <summary>Runs a process to its exit; its output is read until teardown, as what it starts may keep the pipes.</summary>
    private int StartKeepingPipes(string file, params string[] args)
    {
        var process = Process.Start(ProcessResult.StartInfo(file, args, _work, _wine))!;
        _kept.Add((process, Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync())));
        Assert.That(process.WaitForExit(TimeSpan.FromMinutes(5)), Is.True, $"{file} {string.Join(' ', args)} did not finish in 5 minutes");
        return process.ExitCode;
    }

    private static string Windows(string unixPath) => "Z:" + unixPath.Replace('/', '\\');

    private string Tree(string name, string app, string? extra = null)
    {
        var root = Path.Combine(_work, name + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(Path.Combine(root, "runtime", "bin"));
        Directory.CreateDirectory(Path.Combine(root, "app"));
        File.Copy(_tool, Path.Combine(root, "runtime", "bin", "tool.exe"));
        File.WriteAllText(Path.Combine(root, "app", "main.txt"), app + "\n");
        if (extra is not null)
            File.WriteAllText(Path.Combine(root, "app", "payload.bin"), extra);
        return root;
    }

    private static PspMetadata Metadata(string version = "1.0.0") =>
        new("demo", version, "win32-x64", "runtime/bin/tool.exe", ["{workenv}/app/main.txt", "two words", "quote\"d", @"trailing\"],
            ["GOLDEN=1", "HOME_OF_APP={workenv}\\app"]);

    private string Pack(string tree, string version = "1.0.0")
    {
        var output = Path.Combine(_work, $"demo-{version}-{Guid.NewGuid().ToString("N")[..6]}.exe");
        var launcher = PspLauncher.WithKeys(File.ReadAllBytes(_launcher), [Key.PublicKey], _launcher);
        PspWriter.Write(output, launcher, Metadata(version),
            [new PspSlotSource("runtime", PspPurpose.Runtime, Path.Combine(tree, "runtime")), new PspSlotSource("app", PspPurpose.App, Path.Combine(tree, "app"))],
            Key, level: 3);
        return output;
    }

    private string FreshWorkenv() => Path.Combine(_work, "workenv-" + Guid.NewGuid().ToString("N")[..8]);

    private ProcessResult Launch(string package, string workenv, string? mark = null, IDictionary<string, string?>? extra = null, params string[] args)
    {
        var environment = new Dictionary<string, string?>(_wine)
        {
            ["BTM_WORKENV_DIR"] = Windows(workenv), ["BTM_PSP_TRACE"] = "1", ["PSP_MARK"] = mark is null ? null : Windows(mark),
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>())
            environment[k] = v;
        return ProcessResult.Run(Wine, [package, .. args], _work, environment, timeoutSeconds: 120);
    }

    private static int Count(string text, string what) => text.Split('\n').Count(l => l.Contains(what, StringComparison.Ordinal));

    private static string Env(string workenv) => Directory.GetDirectories(Path.Combine(workenv, "envs")).Single();

    [Test]
    public void Runs_the_entry_with_its_command_line_environment_and_exit_code_cold_then_warm()
    {
        var package = Pack(Tree("plain", "hello from app"));
        var workenv = FreshWorkenv();
        var cold = Launch(package, workenv, args: ["a", "b c", "say \"hi\""]);
        Assert.That(cold.ExitCode, Is.EqualTo(7), cold.Output);
        var env = Windows(Env(workenv));
        // Each argument arrives whole: the package's (quoted by the launcher) and the user's (as typed).
        Assert.That(cold.Stdout.Replace("\r", ""), Does.Contain(
            $"arg[1]={env}/app/main.txt\narg[2]=two words\narg[3]=quote\"d\narg[4]=trailing\\\narg[5]=a\narg[6]=b c\narg[7]=say \"hi\"\n"));
        Assert.That(cold.Stdout, Does.Contain("env: GOLDEN=1"));
        Assert.That(cold.Stdout, Does.Contain("hello from app"));
        Assert.That(Count(cold.Stderr, " extracted ("), Is.EqualTo(2), cold.Stderr);
        // Created inside the launcher's kill-on-close job (PROC_THREAD_ATTRIBUTE_JOB_LIST), not added after.
        Assert.That(cold.Stdout, Does.Contain("in a job: 1"));
        Assert.That(cold.Stderr, Does.Not.Contain("joins its job after"));

        var warm = Launch(package, workenv, args: ["x"]);
        Assert.That(warm.ExitCode, Is.EqualTo(7), warm.Output);
        Assert.That(warm.Stdout, Does.Contain("arg[5]=x"));
        Assert.That(warm.Stderr, Does.Not.Contain("extracted"), "a warm run extracts nothing");
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(workenv, "tmp")), Is.Empty, "no temp left");

        // The environment is the slot's own file, hard-linked, not a copy.
        var inSlot = Directory.GetFiles(Path.Combine(workenv, "slots"), "tool.exe", SearchOption.AllDirectories).Single();
        var inEnv = Path.Combine(Env(workenv), "runtime", "bin", "tool.exe");
        Assert.That(LinkCount(inSlot), Is.EqualTo(2), "slot and environment share one file");
        Assert.That(LinkCount(inEnv), Is.EqualTo(2));
    }

    /// <summary>The processes other than this one that hold the read end's pipe of <paramref name="process"/>'s stdout open: pid and command line.</summary>
    private static string Holders(Process process)
    {
        var fd = process.StandardOutput.BaseStream switch
        {
            System.IO.Pipes.PipeStream pipeStream => pipeStream.SafePipeHandle.DangerousGetHandle(),
            FileStream file => file.SafeFileHandle.DangerousGetHandle(),
            var other => throw new InvalidOperationException($"stdout is a {other.GetType()}"),
        };
        var pipe = new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
        var holders = LiveProcesses.Find(dir => Directory.GetFiles(Path.Combine(dir, "fd")).Any(f => new FileInfo(f).LinkTarget == pipe));
        return holders.Count == 0 ? $"no other process ({pipe})" : string.Join("; ", holders.Select(h => $"{h.Pid} {h.CommandLine}"));
    }

    private static int LinkCount(string path)
    {
        var r = ProcessResult.Run("stat", ["-c", "%h", path], "/");
        return int.Parse(r.Stdout.Trim());
    }

    [Test]
    public void A_byte_flipped_in_a_slot_or_the_signature_is_refused_and_nothing_runs()
    {
        var package = Pack(Tree("flip", "flip me"));
        var read = PspReader.Read(package, [Key.PublicKey]);
        var size = new FileInfo(package).Length;
        var cases = new List<(string Region, long Offset)> { ("signature", size - 10), ("metadata", read.LauncherSize + 3) };
        cases.AddRange(read.Slots.Select(s => ($"slot {s.Name}", s.Offset + s.Size / 2)));
        foreach (var (region, offset) in cases)
        {
            var copy = Path.Combine(_work, $"flipped-{region.Replace(' ', '-')}-{offset}.exe");
            var bytes = File.ReadAllBytes(package);
            bytes[offset] ^= 0x20;
            File.WriteAllBytes(copy, bytes);
            var mark = Path.Combine(_work, $"mark-{Guid.NewGuid():N}");
            var workenv = FreshWorkenv();
            var r = Launch(copy, workenv, mark);
            Assert.That(r.ExitCode, Is.EqualTo(120), $"{region} @{offset}: {r.Output}");
            Assert.That(r.Stderr, Does.Contain($": {region}:"), $"{region} @{offset}");
            Assert.That(r.Stderr, Does.Contain("nothing was run"));
            Assert.That(File.Exists(mark), Is.False, $"{region}: the entry ran");
        }
    }

    [TestCase("notes.txt:hidden", "a character Windows reserves")]
    [TestCase("NUL.txt", "a Windows device name")]
    [TestCase("trailing.", "ends in a dot or a space")]
    [TestCase("../escape", "absolute or has an empty, '.' or '..' segment")]
    public void A_slot_path_Windows_would_read_otherwise_is_refused_at_launch(string name, string expected)
    {
        var hostile = new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream("escaped\n"u8.ToArray()) };
        var package = PspLauncherTests.Crafted(_work, Path.Combine(Tree("crafted", "crafted"), "runtime"), _launcher, Metadata(), Key, hostile, ".exe");
        var mark = Path.Combine(_work, $"mark-{Guid.NewGuid():N}");
        var workenv = FreshWorkenv();
        var r = Launch(package, workenv, mark);
        Assert.That(r.ExitCode, Is.EqualTo(120), r.Output);
        Assert.That(r.Stderr, Does.Contain("slot app: "));
        Assert.That(r.Stderr, Does.Contain(expected));
        Assert.That(File.Exists(mark), Is.False, "the entry ran");
        Assert.That(Directory.GetFiles(workenv, "escape", SearchOption.AllDirectories), Is.Empty, "nothing escaped into the work environment's folders");
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(workenv, "tmp")), Is.Empty, "the refused slot's temp folder is gone");
    }

    [Test]
    public void A_tampered_entry_is_extracted_again_and_never_run_and_a_full_check_repairs_any_file()
    {
        var package = Pack(Tree("tamper", "original text"));
        var workenv = FreshWorkenv();
        Assert.That(Launch(package, workenv).ExitCode, Is.EqualTo(7));
        // Another program in the entry's place in the environment: it would exit 0.
        var entry = Path.Combine(Env(workenv), "runtime", "bin", "tool.exe");
        File.Delete(entry);
        File.Copy("/usr/lib/wine/x86_64-windows/hostname.exe" is var h && File.Exists(h) ? h : _launcher, entry);
        var r = Launch(package, workenv);
        Assert.That(r.ExitCode, Is.EqualTo(7), r.Output);
        Assert.That(r.Stderr, Does.Contain("changed since it was extracted; extracting it again"));
        Assert.That(File.ReadAllBytes(entry), Is.EqualTo(File.ReadAllBytes(_tool)), "the environment holds the package's entry again");

        // A file the per-run check does not cover: found by --psp-verify.
        var text = Directory.GetFiles(Path.Combine(workenv, "slots"), "main.txt", SearchOption.AllDirectories).Single();
        File.WriteAllText(text, "changed text\n");
        Assert.That(Launch(package, workenv).Stdout, Does.Contain("changed text"), "the cheap per-run check covers the entry only");
        var check = Launch(package, workenv, args: ["--psp-verify", "after"]);
        Assert.That(check.ExitCode, Is.EqualTo(7), check.Output);
        Assert.That(check.Stderr, Does.Contain("slot app in the work environment was damaged"));
        Assert.That(check.Stderr, Does.Contain("work environment checked: 1 slot(s) intact, 1 extracted again"));
        Assert.That(check.Stdout, Does.Contain("original text"));
        Assert.That(check.Stdout, Does.Contain("arg[5]=after").And.Not.Contain("--psp-verify"), "--psp-verify is the launcher's, not the program's");
    }

    [Test]
    public void Version_two_extracts_only_the_changed_slot_and_the_cap_removes_the_least_recent_environment()
    {
        var workenv = FreshWorkenv();
        var payload = new string('x', 1 << 20);
        var v1 = Pack(Tree("v1", "version one", payload + "1"), "1.0.0");
        var v2 = Pack(Tree("v2", "version two", payload + "2"), "2.0.0");
        Assert.That(Count(Launch(v1, workenv).Stderr, " extracted ("), Is.EqualTo(2));
        var second = Launch(v2, workenv);
        Assert.That(second.ExitCode, Is.EqualTo(7), second.Output);
        Assert.That(second.Stdout, Does.Contain("version two"));
        Assert.That(second.Stderr, Does.Contain("slot runtime reused"));
        Assert.That(Count(second.Stderr, " extracted ("), Is.EqualTo(1), "only the app slot");
        var tool = Directory.GetFiles(Path.Combine(workenv, "slots"), "tool.exe", SearchOption.AllDirectories).Single();
        Assert.That(LinkCount(tool), Is.EqualTo(3), "one runtime file: its slot and both environments");
        Assert.That(Launch(v1, workenv).Stdout, Does.Contain("version one"), "version 1 still runs from its own environment");

        // Over a 1.5 MiB cap, v2's run removes v1's environment (least recently used) and then its app slot.
        var capped = Launch(v2, workenv, extra: new Dictionary<string, string?> { ["BTM_WORKENV_MAX"] = "1536k", ["BTM_PSP_VERIFY"] = "1" });
        Assert.That(capped.ExitCode, Is.EqualTo(7), capped.Output);
        Assert.That(capped.Stderr, Does.Contain("least recently used, over BTM_WORKENV_MAX"));
        Assert.That(capped.Stderr, Does.Contain("no environment uses it"));
        Assert.That(Directory.GetFiles(Path.Combine(workenv, "envs"), "*.ok"), Has.Length.EqualTo(1));
        Assert.That(Directory.GetFiles(Path.Combine(workenv, "slots"), "*.ok"), Has.Length.EqualTo(2), "v2's runtime and app slots");
        Assert.That(Launch(v1, workenv).Stdout, Does.Contain("version one"), "a removed environment is made again");
    }

    [Test]
    public void An_Authenticode_signed_package_runs_reads_the_same_in_every_reader_and_a_changed_byte_is_still_refused()
    {
        Sandbox.RequireTools("osslsigncode", "openssl");
        var package = Pack(Tree("signed", "signed text"));
        var key = Path.Combine(_work, "code.key");
        var cert = Path.Combine(_work, "code.pem");
        var req = ProcessResult.Run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
            "-subj", "/CN=BTM test code signing", "-addext", "extendedKeyUsage=codeSigning"], _work);
        Assert.That(req.ExitCode, Is.Zero, req.Output);
        var signed = Path.Combine(_work, "signed.exe");
        var sign = ProcessResult.Run("osslsigncode", ["sign", "-certs", cert, "-key", key, "-n", "demo", "-in", package, "-out", signed], _work);
        Assert.That(sign.ExitCode, Is.Zero, sign.Output);
        Assert.That(new FileInfo(signed).Length, Is.GreaterThan(new FileInfo(package).Length), "a certificate table was appended");
        var verify = ProcessResult.Run("osslsigncode", ["verify", "-CAfile", cert, "-in", signed], _work);
        Assert.That(verify.Output, Does.Contain("Signature verification: ok"), "Authenticode covers the whole package");

        var r = Launch(signed, FreshWorkenv());
        Assert.That(r.ExitCode, Is.EqualTo(7), r.Output);
        Assert.That(r.Stdout, Does.Contain("signed text"));
        var read = PspReader.Read(signed, [Key.PublicKey]);
        Assert.That(read.Checksum, Is.EqualTo(PspReader.Read(package, [Key.PublicKey]).Checksum), "signed or not, the same package");
        var python = ProcessResult.Run("python3", [Path.Combine(Sandbox.RepoRoot, "tests", "Btm.Core.Tests", "psp_reader.py"), signed, Convert.ToHexStringLower(Key.PublicKey)], _work);
        Assert.That(python.ExitCode, Is.Zero, python.Output);
        Assert.That(python.Stdout, Does.Contain(read.Checksum), "the independent reader agrees");

        // Authenticode's own fields are read as zero, every other byte is the package's: a flipped slot byte is refused.
        var slot = read.Slots.First(s => s.Name == "app");
        var bytes = File.ReadAllBytes(signed);
        bytes[slot.Offset + slot.Size / 2] ^= 0x20;
        var flipped = Path.Combine(_work, "signed-flipped.exe");
        File.WriteAllBytes(flipped, bytes);
        var mark = Path.Combine(_work, $"mark-{Guid.NewGuid():N}");
        var refused = Launch(flipped, FreshWorkenv(), mark);
        Assert.That(refused.ExitCode, Is.EqualTo(120), refused.Output);
        Assert.That(refused.Stderr, Does.Contain(": slot app:"));
        Assert.That(File.Exists(mark), Is.False);
    }

    [Test]
    public void A_killed_launcher_takes_its_program_with_it_as_exec_does_elsewhere()
    {
        var package = Pack(Tree("orphan", "orphan text"));
        var workenv = FreshWorkenv();
        var mark = Path.Combine(_work, $"mark-{Guid.NewGuid():N}");
        var start = ProcessResult.StartInfo(Wine, [package, "orphan"], _work, new Dictionary<string, string?>(_wine)
        {
            ["BTM_WORKENV_DIR"] = Windows(workenv), ["PSP_MARK"] = Windows(mark), ["PSP_SLEEP"] = "60",
        });
        using var launcher = Process.Start(start)!;
        var stdout = launcher.StandardOutput.ReadToEndAsync();
        var stderr = launcher.StandardError.ReadToEndAsync();
        var ran = Stopwatch.StartNew();
        while (!File.Exists(mark) && ran.Elapsed < TimeSpan.FromSeconds(60) && !launcher.HasExited)
            Thread.Sleep(100);
        Assert.That(File.Exists(mark), Is.True, launcher.HasExited ? $"the launcher ended ({launcher.ExitCode}) before the program started" : "the program did not start in 60 s");
        // The launcher alone, as Task Manager's End task or a crash would: the program (sleeping for 60 s) must end with it.
        launcher.Kill();
        Assert.That(launcher.WaitForExit(30_000), Is.True);
        var closed = Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(20));
        var orphans = LiveProcesses.WithCommandLine(Windows(workenv)).Select(p => p.Pid).ToList();
        foreach (var pid in orphans)
            ProcessResult.Run("kill", ["-9", pid], "/");
        Assert.That(orphans, Is.Empty, "no program runs from that work environment any more");
        Assert.That(closed, Is.True, "the program's output closed with the launcher");
    }

    [Test]
    public void Twelve_concurrent_first_runs_a_third_killed_at_random_leave_every_finished_run_correct_and_nothing_half_made_in_use()
    {
        var package = Pack(Tree("storm", "storm text", string.Concat(Enumerable.Range(0, 400_000).Select(i => (i * 7919 % 10007).ToString()))));
        var workenv = FreshWorkenv();
        var random = new Random(20261206);
        var runs = new List<(Process Process, bool Kill, Task<string> Stdout, Task<string> Stderr)>();
        for (var i = 0; i < 12; i++)
        {
            var start = new ProcessStartInfo(Wine) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _work };
            start.ArgumentList.Add(package);
            start.ArgumentList.Add($"run{i}");
            foreach (var (k, v) in _wine)
                start.Environment[k] = v;
            start.Environment["BTM_WORKENV_DIR"] = Windows(workenv);
            start.Environment["BTM_PSP_TRACE"] = "1";
            var p = Process.Start(start)!;
            runs.Add((p, i % 3 == 1, p.StandardOutput.ReadToEndAsync(), p.StandardError.ReadToEndAsync()));
        }
        foreach (var (p, _, _, _) in runs.Where(r => r.Kill))
        {
            Thread.Sleep(random.Next(50, 400));
            try
            {
                // The whole wine process at once, as a user's kill or a power cut would: no clean-up runs.
                p.Kill();
            }
            catch (InvalidOperationException)
            {
                // already finished
            }
        }
        var finished = 0;
        for (var i = 0; i < runs.Count; i++)
        {
            var (p, kill, stdout, stderr) = runs[i];
            Assert.That(p.WaitForExit(120_000), "a run hung");
            // Output ends when the last process holding the pipe does: a killed run's entry must not live on.
            Assert.That(Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(60)), Is.True, () => $"run{i}'s output stayed open after it ended, held by: {Holders(p)}");
            if (kill && p.ExitCode != 7)
                continue;
            finished++;
            Assert.That(p.ExitCode, Is.EqualTo(7), stdout.Result + stderr.Result);
            Assert.That(stdout.Result, Does.Contain($"arg[5]=run{i}").And.Contain("storm text"));
        }
        Assert.That(finished, Is.GreaterThanOrEqualTo(8));
        // The next run that extracts (under the lock) removes what killed runs left, and finds every slot whole.
        var next = Launch(package, workenv, extra: new Dictionary<string, string?> { ["BTM_PSP_VERIFY"] = "1" });
        Assert.That(next.ExitCode, Is.EqualTo(7), next.Output);
        Assert.That(next.Stderr, Does.Contain("work environment checked: 2 slot(s) intact, 0 extracted again"), next.Stderr);
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(workenv, "tmp")), Is.Empty);
    }
}
