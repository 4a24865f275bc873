using System.Diagnostics;
using System.Formats.Tar;
using System.Text;
using Btm.Core.Psp;
using Btm.Core.Release;

namespace Btm.Build.Tests;

/// <summary>
/// The C launcher of signed self-contained packages (packages/psp-launcher), built by BTM for this
/// host and run as real processes: tampering, foreign keys, hostile slots, the work environment's
/// slot cache, concurrent first runs killed at random, read-only and noexec caches.
/// </summary>
[NonParallelizable]
public class PspLauncherTests
{
    private Sandbox? _box;
    private string _launcher = "";
    private string _work = "";
    private static readonly Ed25519Keys.KeyPair Key = Ed25519Keys.FromSeed(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    private static readonly Ed25519Keys.KeyPair Other = Ed25519Keys.FromSeed(Enumerable.Repeat((byte)9, 32).ToArray());

    // Records each run in $PSP_MARK, prints what it was given, exits 7.
    private const string Tool = """
        #!/bin/sh
        [ -n "$PSP_MARK" ] && echo ran >> "$PSP_MARK"
        echo "args: $*"
        echo "env: GOLDEN=$GOLDEN"
        cat "$HOME_OF_APP/main.txt"
        [ -n "$PSP_SLEEP" ] && sleep "$PSP_SLEEP"
        case " $* " in *" --signal "*) kill -TERM $$ ;; esac
        exit 7
        """;

    [OneTimeSetUp]
    public void BuildLauncher()
    {
        Sandbox.RequireTools("cmake", "cc");
        _box = new Sandbox("bin-stub", "psp-launcher");
        // Test runs its ctest too: the C reader reads the golden package the C# and Python readers read.
        var r = _box.Run("--target=Test", "--mode=prod", "--package=psp-launcher");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        _launcher = Path.Combine(_box.Package("psp-launcher"), "build", "prod", Sandbox.Host, "out", "Final", "psp-launcher");
        Assert.That(File.Exists(_launcher), _launcher);
        _work = Path.Combine(_box.Root, "work");
        Directory.CreateDirectory(_work);
    }

    [OneTimeTearDown]
    public void Cleanup() => _box?.Dispose();

    private string Tree(string name, string app, string? extra = null)
    {
        var root = Path.Combine(_work, name + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(Path.Combine(root, "runtime", "bin"));
        Directory.CreateDirectory(Path.Combine(root, "app"));
        File.WriteAllText(Path.Combine(root, "runtime", "bin", "tool"), Tool.Replace("\r", "") + "\n");
        File.SetUnixFileMode(Path.Combine(root, "runtime", "bin", "tool"), (UnixFileMode)0x1ed);
        File.WriteAllText(Path.Combine(root, "app", "main.txt"), app + "\n");
        if (extra is not null)
            File.WriteAllText(Path.Combine(root, "app", "payload.bin"), extra);
        return root;
    }

    private static PspMetadata Metadata(string version = "1.0.0") =>
        new("demo", version, Sandbox.Host, "runtime/bin/tool", ["{workenv}/app/main.txt"], ["GOLDEN=1", "HOME_OF_APP={workenv}/app"]);

    private string Pack(string tree, string version = "1.0.0", Ed25519Keys.KeyPair? signer = null, IReadOnlyList<byte[]>? trusted = null)
    {
        var output = Path.Combine(_work, $"demo-{version}-{Guid.NewGuid().ToString("N")[..6]}.psp");
        var launcher = PspLauncher.WithKeys(File.ReadAllBytes(_launcher), trusted ?? [Key.PublicKey], _launcher);
        PspWriter.Write(output, launcher, Metadata(version),
            [new PspSlotSource("runtime", PspPurpose.Runtime, Path.Combine(tree, "runtime")), new PspSlotSource("app", PspPurpose.App, Path.Combine(tree, "app"))],
            signer ?? Key, level: 3);
        File.SetUnixFileMode(output, (UnixFileMode)0x1ed);
        return output;
    }

    private string FreshWorkenv() => Path.Combine(_work, "workenv-" + Guid.NewGuid().ToString("N")[..8]);

    private static ProcessResult Launch(string package, string workenv, string? mark = null, IDictionary<string, string?>? extra = null, params string[] args)
    {
        var environment = new Dictionary<string, string?> { ["BTM_WORKENV_DIR"] = workenv, ["BTM_PSP_TRACE"] = "1", ["PSP_MARK"] = mark };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>())
            environment[k] = v;
        return ProcessResult.Run(package, args, Path.GetTempPath(), environment, timeoutSeconds: 120);
    }

    private static int Count(string text, string what) => text.Split('\n').Count(l => l.Contains(what, StringComparison.Ordinal));

    [Test]
    public void Runs_the_entry_with_its_arguments_environment_and_exit_code_cold_then_warm()
    {
        var package = Pack(Tree("plain", "hello from app"));
        var workenv = FreshWorkenv();
        var cold = Launch(package, workenv, args: ["a", "b c"]);
        Assert.That(cold.ExitCode, Is.EqualTo(7), cold.Output);
        var env = Directory.GetDirectories(Path.Combine(workenv, "envs")).Single();
        Assert.That(cold.Stdout, Does.Contain($"args: {env}/app/main.txt a b c"));
        Assert.That(cold.Stdout, Does.Contain("env: GOLDEN=1"));
        Assert.That(cold.Stdout, Does.Contain("hello from app"));
        Assert.That(Count(cold.Stderr, " extracted ("), Is.EqualTo(2), cold.Stderr);

        var warm = Launch(package, workenv, args: ["x"]);
        Assert.That(warm.ExitCode, Is.EqualTo(7), warm.Output);
        Assert.That(warm.Stdout, Does.Contain($"args: {env}/app/main.txt x"));
        Assert.That(warm.Stderr, Does.Not.Contain("extracted"), "a warm run extracts nothing");

        var signalled = Launch(package, workenv, args: ["--signal"]);
        Assert.That(signalled.ExitCode, Is.EqualTo(128 + 15), "the program's own death by SIGTERM, not the launcher's");
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(workenv, "tmp")), Is.Empty, "no temp left");
    }

    [Test]
    public void A_byte_flipped_in_any_region_is_refused_naming_the_region_and_nothing_runs()
    {
        var package = Pack(Tree("flip", "flip me"));
        var read = PspReader.Read(package, [Key.PublicKey]);
        var size = new FileInfo(package).Length;
        var tableOffset = read.LauncherSize + MetadataSize(package);
        var cases = new List<(string Region, long Offset)>
        {
            // The launcher's last bytes are its section headers: the loader never reads them, so the
            // flipped launcher still starts and must refuse itself.
            ("launcher", read.LauncherSize - 1),
            ("metadata", read.LauncherSize + 3),
            ("table", tableOffset + 40),
            ("index", size - 320 + 210),
            ("index", size - 320 + 120),
            ("signature", size - 10),
        };
        cases.AddRange(read.Slots.Select(s => ($"slot {s.Name}", s.Offset + s.Size / 2)));
        foreach (var (region, offset) in cases)
        {
            var copy = Path.Combine(_work, $"flipped-{region.Replace(' ', '-')}-{offset}.psp");
            var bytes = File.ReadAllBytes(package);
            bytes[offset] ^= 0x20;
            File.WriteAllBytes(copy, bytes);
            File.SetUnixFileMode(copy, (UnixFileMode)0x1ed);
            var mark = Path.Combine(_work, $"mark-{Guid.NewGuid():N}");
            var workenv = FreshWorkenv();
            var r = Launch(copy, workenv, mark);
            Assert.That(r.ExitCode, Is.EqualTo(120), $"{region} @{offset}: {r.Output}");
            Assert.That(r.Stderr, Does.Contain($"refused {copy}: {region}:"), $"{region} @{offset}");
            Assert.That(r.Stderr, Does.Contain("nothing was run"));
            Assert.That(File.Exists(mark), Is.False, $"{region}: the entry ran");
            Assert.That(!Directory.Exists(Path.Combine(workenv, "slots")) || Directory.GetFileSystemEntries(Path.Combine(workenv, "slots")).Length == 0,
                $"{region}: nothing extracted");
        }
    }

    private static long MetadataSize(string package)
    {
        using var file = File.OpenRead(package);
        var index = new byte[320];
        file.Seek(-320, SeekOrigin.End);
        file.ReadExactly(index);
        return BitConverter.ToInt64(index, 24);
    }

    [Test]
    public void A_package_signed_by_a_key_the_launcher_does_not_trust_is_refused()
    {
        var package = Pack(Tree("foreign", "foreign"), signer: Other, trusted: [Key.PublicKey]);
        var mark = Path.Combine(_work, $"mark-{Guid.NewGuid():N}");
        var r = Launch(package, FreshWorkenv(), mark);
        Assert.That(r.ExitCode, Is.EqualTo(120), r.Output);
        Assert.That(r.Stderr, Does.Contain("signature: signed by key"));
        Assert.That(r.Stderr, Does.Contain("which is none of the 1 key(s) this launcher trusts"));
        Assert.That(File.Exists(mark), Is.False);

        // The same package under a launcher that trusts both keys runs.
        var both = Pack(Tree("foreign", "foreign"), signer: Other, trusted: [Key.PublicKey, Other.PublicKey]);
        Assert.That(Launch(both, FreshWorkenv()).ExitCode, Is.EqualTo(7));
    }

    /// <summary>
    /// A package the writer would refuse, signed all the same: the runtime slot from a folder, an app
    /// slot holding main.txt and the hand-made <paramref name="hostile"/> entry.
    /// </summary>
    internal static string Crafted(string work, string runtime, string launcher, PspMetadata metadata, Ed25519Keys.KeyPair key, TarEntry hostile, string suffix)
    {
        var runtimeTar = Path.Combine(work, $"runtime-{Guid.NewGuid():N}.tar");
        using (var stream = File.Create(runtimeTar))
            PspTar.Write(runtime, stream, "runtime");
        var appTar = Path.Combine(work, $"app-{Guid.NewGuid():N}.tar");
        using (var stream = File.Create(appTar))
        using (var writer = new TarWriter(stream, TarEntryFormat.Ustar))
        {
            writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "main.txt") { DataStream = new MemoryStream("ok\n"u8.ToArray()) });
            writer.WriteEntry(hostile);
        }
        var package = Path.Combine(work, $"crafted-{Guid.NewGuid():N}{suffix}");
        PspWriter.WriteTars(package, PspLauncher.WithKeys(File.ReadAllBytes(launcher), [key.PublicKey], launcher), metadata,
            [new PspTarSlot("runtime", PspPurpose.Runtime, runtimeTar), new PspTarSlot("app", PspPurpose.App, appTar)], key, level: 3);
        return package;
    }

    [TestCase("../escape", TarEntryType.RegularFile, "absolute or has an empty, '.' or '..' segment")]
    [TestCase("/tmp/psp-absolute-escape", TarEntryType.RegularFile, "absolute or has an empty, '.' or '..' segment")]
    [TestCase("link", TarEntryType.SymbolicLink, "is a symbolic link")]
    [TestCase("hard", TarEntryType.HardLink, "is a hard link")]
    [TestCase("pipe", TarEntryType.Fifo, "is a fifo")]
    [TestCase("dev", TarEntryType.CharacterDevice, "is a device")]
    public void A_crafted_slot_is_refused_at_launch(string name, TarEntryType type, string expected)
    {
        var entry = new UstarTarEntry(type, name);
        if (type is TarEntryType.SymbolicLink or TarEntryType.HardLink)
            entry.LinkName = "/etc/passwd";
        if (type == TarEntryType.RegularFile)
            entry.DataStream = new MemoryStream("escaped\n"u8.ToArray());
        var package = Crafted(_work, Path.Combine(Tree("crafted", "crafted"), "runtime"), _launcher, Metadata(), Key, entry, ".psp");
        File.SetUnixFileMode(package, (UnixFileMode)0x1ed);
        var mark = Path.Combine(_work, $"mark-{Guid.NewGuid():N}");
        var workenv = FreshWorkenv();
        var r = Launch(package, workenv, mark);
        Assert.That(r.ExitCode, Is.EqualTo(120), r.Output);
        Assert.That(r.Stderr, Does.Contain("slot app: "));
        Assert.That(r.Stderr, Does.Contain(expected));
        Assert.That(File.Exists(mark), Is.False, "the entry ran");
        Assert.That(File.Exists("/tmp/psp-absolute-escape"), Is.False);
        Assert.That(Directory.GetFiles(workenv, "escape", SearchOption.AllDirectories), Is.Empty, "nothing escaped into the work environment's folders");
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(workenv, "tmp")), Is.Empty, "the refused slot's temp folder is gone");
        Assert.That(Directory.GetFiles(Path.Combine(workenv, "slots"), "*.ok").Length, Is.LessThanOrEqualTo(1), "only the runtime slot may be complete");
    }

    [Test]
    public void A_tampered_entry_is_extracted_again_and_never_run_and_a_full_check_repairs_any_file()
    {
        var package = Pack(Tree("tamper", "original text"));
        var workenv = FreshWorkenv();
        Assert.That(Launch(package, workenv).ExitCode, Is.EqualTo(7));
        var entry = Directory.GetFiles(Path.Combine(workenv, "slots"), "tool", SearchOption.AllDirectories).Single();
        File.AppendAllText(entry, "echo TAMPERED\n");
        var r = Launch(package, workenv);
        Assert.That(r.ExitCode, Is.EqualTo(7), r.Output);
        Assert.That(r.Stdout, Does.Not.Contain("TAMPERED"), "the tampered entry ran");
        Assert.That(r.Stderr, Does.Contain("changed since it was extracted; extracting it again"));
        Assert.That(r.Stderr, Does.Contain("slot runtime extracted"));
        Assert.That(File.ReadAllText(entry), Does.Not.Contain("TAMPERED"));

        // A file the per-run check does not cover: found by --psp-verify (and BTM_PSP_VERIFY=1).
        var text = Directory.GetFiles(Path.Combine(workenv, "slots"), "main.txt", SearchOption.AllDirectories).Single();
        File.WriteAllText(text, "changed text\n");
        Assert.That(Launch(package, workenv).Stdout, Does.Contain("changed text"), "the cheap per-run check covers the entry only");
        var check = Launch(package, workenv, args: ["--psp-verify", "after"]);
        Assert.That(check.ExitCode, Is.EqualTo(7), check.Output);
        Assert.That(check.Stderr, Does.Contain("slot app in the work environment was damaged"));
        Assert.That(check.Stderr, Does.Contain("work environment checked: 1 slot(s) intact, 1 extracted again"));
        Assert.That(check.Stdout, Does.Contain("original text"));
        Assert.That(check.Stdout, Does.Contain("main.txt after"), "--psp-verify is the launcher's, not the program's");
        var again = Launch(package, workenv, extra: new Dictionary<string, string?> { ["BTM_PSP_VERIFY"] = "1" });
        Assert.That(again.Stderr, Does.Contain("work environment checked: 2 slot(s) intact, 0 extracted again"));
    }

    [Test]
    public void Version_two_extracts_only_the_slot_that_changed()
    {
        var workenv = FreshWorkenv();
        var v1 = Pack(Tree("v1", "version one"), "1.0.0");
        var first = Launch(v1, workenv);
        Assert.That(Count(first.Stderr, " extracted ("), Is.EqualTo(2), first.Stderr);
        var v2 = Pack(Tree("v2", "version two"), "2.0.0");
        var second = Launch(v2, workenv);
        Assert.That(second.ExitCode, Is.EqualTo(7), second.Output);
        Assert.That(second.Stdout, Does.Contain("version two"));
        Assert.That(second.Stderr, Does.Contain("slot runtime reused"));
        Assert.That(second.Stderr, Does.Contain("slot app extracted"));
        Assert.That(Count(second.Stderr, " extracted ("), Is.EqualTo(1), "only the app slot");
        Assert.That(Directory.GetDirectories(Path.Combine(workenv, "envs")), Has.Length.EqualTo(2));
        Assert.That(Launch(v1, workenv).Stdout, Does.Contain("version one"), "version 1 still runs from its own environment");
    }

    [Test]
    public void Environments_past_the_size_cap_are_removed_by_least_recent_use_never_one_in_use()
    {
        var workenv = FreshWorkenv();
        var cap = new Dictionary<string, string?> { ["BTM_WORKENV_MAX"] = "3M" };
        var payload = new string('x', 1 << 20);
        var v1 = Pack(Tree("cap1", "one", payload + "1"), "1.0.0");
        var v2 = Pack(Tree("cap2", "two", payload + "2"), "2.0.0");
        var v3 = Pack(Tree("cap3", "three", payload + "3"), "3.0.0");
        Assert.That(Launch(v1, workenv, extra: cap).ExitCode, Is.EqualTo(7));
        // v2 stays running (in use) while v3 pushes the total past 3 MiB.
        var start = new ProcessStartInfo(v2) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["BTM_WORKENV_DIR"] = workenv;
        start.Environment["BTM_WORKENV_MAX"] = "3M";
        start.Environment["PSP_SLEEP"] = "5";
        using var running = Process.Start(start)!;
        var ready = Path.Combine(workenv, "envs");
        for (var i = 0; i < 100 && Directory.GetFiles(ready, "*.ok").Length < 2; i++)
            Thread.Sleep(100);
        var third = Launch(v3, workenv, extra: cap);
        Assert.That(third.ExitCode, Is.EqualTo(7), third.Output);
        Assert.That(third.Stderr, Does.Contain("least recently used, over BTM_WORKENV_MAX"), third.Stderr);
        running.WaitForExit();
        Assert.That(running.ExitCode, Is.EqualTo(7), "the environment in use kept working");
        var envs = Directory.GetFiles(ready, "*.ok").Select(f => File.ReadAllText(f)).ToList();
        Assert.That(envs, Has.Count.EqualTo(2), "v1 (least recent, not in use) removed; v2 (in use) and v3 kept");
        var v1Checksum = PspReader.Read(v1, [Key.PublicKey]).Checksum;
        Assert.That(Directory.Exists(Path.Combine(ready, v1Checksum)), Is.False);
        Assert.That(Launch(v1, workenv).Stdout, Does.Contain("one"), "a removed environment is simply made again");
    }

    [Test]
    public void Thirty_two_concurrent_first_runs_killed_at_random_finish_correctly_and_leave_only_the_killed_runs_temps()
    {
        var payload = string.Concat(Enumerable.Range(0, 400_000).Select(i => (i * 7919 % 10007).ToString()));
        var package = Pack(Tree("storm", "storm text", payload));
        var workenv = FreshWorkenv();
        var random = new Random(20261205);
        var processes = new List<(Process Process, bool Kill, Task<string> Stdout)>();
        for (var i = 0; i < 32; i++)
        {
            var start = new ProcessStartInfo(package) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["BTM_WORKENV_DIR"] = workenv;
            var p = Process.Start(start)!;
            processes.Add((p, random.Next(3) == 0, p.StandardOutput.ReadToEndAsync()));
            _ = p.StandardError.ReadToEndAsync();
        }
        var killed = new HashSet<int>();
        foreach (var (p, kill, _) in processes.Where(x => x.Kill))
        {
            Thread.Sleep(random.Next(0, 40));
            killed.Add(p.Id);
            try
            {
                p.Kill();
            }
            catch (InvalidOperationException)
            {
                // already finished
            }
        }
        var finished = 0;
        foreach (var (p, kill, stdout) in processes)
        {
            Assert.That(p.WaitForExit(120_000), "a run hung");
            if (kill && p.ExitCode != 7)
                continue;
            finished++;
            Assert.That(p.ExitCode, Is.EqualTo(7), stdout.Result);
            Assert.That(stdout.Result, Does.Contain("storm text"));
        }
        Assert.That(finished, Is.GreaterThanOrEqualTo(16));
        foreach (var temp in Directory.GetFileSystemEntries(Path.Combine(workenv, "tmp")))
        {
            var pid = int.Parse(Path.GetFileName(temp).Split('-')[1]);
            Assert.That(killed, Does.Contain(pid), $"{temp} is not a killed run's");
        }
        // The next run that extracts (under the lock) removes what killed runs left.
        var next = Launch(package, workenv, extra: new Dictionary<string, string?> { ["BTM_PSP_VERIFY"] = "1" });
        Assert.That(next.Stderr, Does.Contain("work environment checked: 2 slot(s) intact"), next.Stderr);
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(workenv, "tmp")), Is.Empty);
    }

    [Test]
    public void A_slot_holds_another_packages_shipped_output_built_first_for_the_same_target()
    {
        // The runtime is a package of the repo: its binary in bin/, a nested data tree its "install"
        // ships as a folder (the tree kept), and its licence; the psp package names it in a slot only.
        var box = _box!;
        box.AddEchoer("rt-echo");
        box.Write("packages/rt-echo/btm.json", """
            {
              "name": "rt-echo",
              "description": "fixture runtime: echoes its arguments",
              "builder": "make",
              "binaries": ["rt-echo"],
              "publish": false,
              "inputs": ["Makefile", "src/**", "data/**", "LICENSE"],
              "install": { "data/**": "share/data/" }
            }
            """);
        box.Write("packages/rt-echo/data/a/b.txt", "deep\n");
        box.Write("packages/rt-echo/data/top.txt", "top\n");
        box.Write("packages/rt-echo/LICENSE", "MIT licence of rt-echo\n");
        string App(string package) => $$"""
            {
              "name": "echo-app",
              "description": "fixture psp package whose runtime slot is rt-echo's output",
              "builder": "psp",
              "binaries": ["echo-app"],
              "psp": {
                "entry": "rt/bin/rt-echo",
                "level": 3,
                "args": ["{workenv}/rt/share/data/a/b.txt", "{workenv}/rt/share/data/top.txt"],
                "slots": [ { "name": "rt", "purpose": "runtime", "package": "{{package}}" } ]
              }
            }
            """;
        box.Write("packages/echo-app/btm.json", App("nope"));
        var bad = box.Run("--target=Build", "--mode=prod", "--package=echo-app");
        Assert.That(bad.ExitCode, Is.Not.Zero);
        Assert.That(bad.Output, Does.Contain("packages/echo-app/btm.json: psp.slots[0].package: unknown package 'nope'").And.Contain("rt-echo"));

        box.Write("packages/echo-app/btm.json", App("rt-echo"));
        var r = box.Run("--target=Build", "--mode=prod", "--package=echo-app");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        Assert.That(box.Outcome("rt-echo", "compiled"), Is.EqualTo("built"), "the slot's package is built first, as a dependency");
        var workenv = FreshWorkenv();
        var ran = Launch(box.Final("echo-app", "echo-app", "prod"), workenv);
        Assert.That(ran.ExitCode, Is.Zero, ran.Output);
        var env = Directory.GetDirectories(Path.Combine(workenv, "envs")).Single();
        Assert.That(ran.Stdout.Trim(), Is.EqualTo($"[{env}/rt/share/data/a/b.txt][{env}/rt/share/data/top.txt]"));
        Assert.That(File.ReadAllText(Path.Combine(env, "rt", "share", "data", "a", "b.txt")), Is.EqualTo("deep\n"), "the install folder keeps the tree below the glob");
        Assert.That(File.ReadAllText(Path.Combine(env, "rt", "LICENSE")), Is.EqualTo("MIT licence of rt-echo\n"));
        // The psp package's own notices name the runtime and carry its licence text.
        var files = Path.Combine(box.Package("echo-app"), "build", "prod", Sandbox.Host, "out", "Compiled", "files");
        Assert.That(File.ReadAllText(Path.Combine(files, "THIRD-PARTY-NOTICES.md")), Does.Contain("rt").And.Contain("package rt-echo of this repo"));
        Assert.That(File.ReadAllText(Path.Combine(files, "licenses", "rt", "LICENSE")), Is.EqualTo("MIT licence of rt-echo\n"));

        // A change to the runtime package rebuilds the psp package: its slot is part of its inputs.
        box.Write("packages/rt-echo/data/a/b.txt", "deeper\n");
        r = box.Run("--target=Build", "--mode=prod", "--package=echo-app");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        Assert.That(box.Outcome("echo-app", "compiled"), Is.EqualTo("built"));
        ran = Launch(box.Final("echo-app", "echo-app", "prod"), workenv);
        var second = Directory.GetDirectories(Path.Combine(workenv, "envs")).Single(d => d != env);
        Assert.That(File.ReadAllText(Path.Combine(second, "rt", "share", "data", "a", "b.txt")), Is.EqualTo("deeper\n"));
    }

    [Test]
    public void Btm_psp_pack_makes_a_package_that_runs_and_refuses_bad_input_clearly()
    {
        var btm = Path.Combine(TestContext.CurrentContext.TestDirectory, "btm.dll");
        var tree = Tree("cli", "packed by the cli");
        var keyFile = Path.Combine(_work, "cli-key.pem");
        File.WriteAllText(keyFile, Ed25519Keys.PrivatePem(Key.PrivateSeed));
        var output = Path.Combine(_work, "cli.psp");
        string[] common = ["psp", "pack", "-o", output, "--name", "cli-demo", "--version", "1.2.3", "--platform", Sandbox.Host, "--entry", "runtime/bin/tool",
            "--slot", "runtime=" + Path.Combine(tree, "runtime"), "--slot", "app=" + Path.Combine(tree, "app"),
            "--arg", "{workenv}/app/main.txt", "--env", "HOME_OF_APP={workenv}/app", "--level", "3"];
        var packed = ProcessResult.Run("dotnet", [btm, .. common, "--sign", keyFile, "--launcher", _launcher], _work);
        Assert.That(packed.ExitCode, Is.Zero, packed.Output);
        Assert.That(packed.Stdout, Does.Contain("cli-demo 1.2.3"));
        var r = Launch(output, FreshWorkenv());
        Assert.That(r.ExitCode, Is.EqualTo(7), r.Output);
        Assert.That(r.Stdout, Does.Contain("packed by the cli"));
        var verified = ProcessResult.Run("dotnet", [btm, "psp", "verify", output, "--key", Key.PublicKeyHex], _work);
        Assert.That(verified.ExitCode, Is.Zero, verified.Output);

        var before = File.ReadAllBytes(output);
        var noKey = ProcessResult.Run("dotnet", [btm, .. common, "--launcher", _launcher], _work, new Dictionary<string, string?> { ["BTM_SIGNING_KEY"] = null });
        Assert.That(noKey.ExitCode, Is.Not.Zero);
        Assert.That(noKey.Stderr, Does.Contain("no signing key: pass --sign <private key PEM> or set BTM_SIGNING_KEY"));
        var notLauncher = ProcessResult.Run("dotnet", [btm, .. common, "--sign", keyFile, "--launcher", keyFile], _work);
        Assert.That(notLauncher.ExitCode, Is.Not.Zero);
        Assert.That(notLauncher.Stderr, Does.Contain("has no key block: it is not a BTM psp-launcher"));
        var badSlot = ProcessResult.Run("dotnet", [btm, .. common, "--sign", keyFile, "--launcher", _launcher, "--slot", "extra:gadget=" + tree], _work);
        Assert.That(badSlot.Stderr, Does.Contain("purpose 'gadget' is not runtime, app, resources or native"));
        Assert.That(File.ReadAllBytes(output), Is.EqualTo(before), "a refused pack leaves the earlier package as it was");
        Assert.That(Directory.GetFiles(_work, "cli.psp*"), Has.Length.EqualTo(1), "no temp left beside it");
    }

    [Test]
    public void A_killed_launcher_running_a_private_copy_takes_its_program_with_it_as_exec_does()
    {
        var package = Pack(Tree("private-kill", "private text"));
        var mark = Path.Combine(_work, $"mark-{Guid.NewGuid():N}");
        // No cache folder at all: the program runs from a private copy as the launcher's child.
        var start = ProcessResult.StartInfo(package, ["orphan"], Path.GetTempPath(), new Dictionary<string, string?>
        {
            ["BTM_WORKENV_DIR"] = null, ["XDG_CACHE_HOME"] = null, ["HOME"] = null, ["PSP_MARK"] = mark, ["PSP_SLEEP"] = "60",
        });
        using var launcher = Process.Start(start)!;
        var copy = Task.Run(() =>
        {
            for (var line = launcher.StandardError.ReadLine(); line is not null; line = launcher.StandardError.ReadLine())
            {
                var said = System.Text.RegularExpressions.Regex.Match(line, @"running from a private copy in (\S+) \(removed on exit\)");
                if (said.Success)
                    return said.Groups[1].Value;
            }
            return null;
        });
        var ran = Stopwatch.StartNew();
        while (!File.Exists(mark) && ran.Elapsed < TimeSpan.FromSeconds(60) && !launcher.HasExited)
            Thread.Sleep(50);
        Assert.That(File.Exists(mark), Is.True, launcher.HasExited ? $"the launcher ended ({launcher.ExitCode}) before the program started" : "the program did not start in 60 s");
        Assert.That(copy.Wait(TimeSpan.FromSeconds(10)) && copy.Result is not null, Is.True, "the launcher says where its private copy is");
        // SIGKILL, the launcher alone: nothing of it runs afterwards to pass the signal on.
        launcher.Kill();
        Assert.That(launcher.WaitForExit(30_000), Is.True);
        var program = LiveProcesses.WithCommandLine(copy.Result!);
        for (var waited = Stopwatch.StartNew(); program.Count > 0 && waited.Elapsed < TimeSpan.FromSeconds(5); Thread.Sleep(50))
            program = LiveProcesses.WithCommandLine(copy.Result!);
        // The program's own sleep outlives it, as it would a program killed directly; the copy stays, as nothing runs to remove it.
        foreach (var (pid, _) in LiveProcesses.Find(dir => File.ReadAllText(Path.Combine(dir, "environ")).Contains("PSP_MARK=" + mark, StringComparison.Ordinal)))
            ProcessResult.Run("kill", ["-9", pid], "/");
        if (Directory.Exists(copy.Result))
            Directory.Delete(copy.Result, recursive: true);
        Assert.That(program, Is.Empty, "the program ended with its launcher");
    }

    [TestCase("ro")]
    [TestCase("noexec")]
    public void A_read_only_or_noexec_work_environment_falls_back_to_a_private_copy_saying_so(string option)
    {
        Sandbox.RequireTools("unshare", "mount");
        var package = Pack(Tree("mount-" + option, "mounted"));
        var workenv = FreshWorkenv();
        Directory.CreateDirectory(workenv);
        var script = Path.Combine(_work, $"mount-{option}.sh");
        // A private mount namespace: the tmpfs exists for this one process tree only.
        File.WriteAllText(script, $"mount -t tmpfs -o {option},mode=0700 tmpfs \"$1\" || exit 99\nshift\nexec \"$@\"\n");
        var r = ProcessResult.Run("unshare", ["--mount", "--propagation", "private", "sh", script, workenv, package, "arg"], Path.GetTempPath(),
            new Dictionary<string, string?> { ["BTM_WORKENV_DIR"] = workenv, ["BTM_PSP_TRACE"] = "1" });
        if (r.ExitCode == 99 || r.Stderr.Contains("unshare failed", StringComparison.Ordinal))
            Assert.Ignore($"cannot make a {option} mount here: {r.Stderr}");
        Assert.That(r.ExitCode, Is.EqualTo(7), r.Output);
        Assert.That(r.Stdout, Does.Contain("mounted"));
        Assert.That(r.Stderr, Does.Contain(option == "ro" ? "cannot use the work environment" : "does not let programs run"), r.Stderr);
        var privateCopy = System.Text.RegularExpressions.Regex.Match(r.Stderr, @"running from a private copy in (\S+) \(removed on exit\)");
        Assert.That(privateCopy.Success, r.Stderr);
        Assert.That(Directory.Exists(privateCopy.Groups[1].Value), Is.False, "the private copy is removed on exit");
    }
}
