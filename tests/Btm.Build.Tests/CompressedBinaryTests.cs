using System.Diagnostics;
using System.Security.Cryptography;
using Btm.Core.Press;

namespace Btm.Build.Tests;

/// <summary>Compressed binaries with the real C stub, real executables and real processes.</summary>
[NonParallelizable]
public class CompressedBinaryTests
{
    private Sandbox? _box;
    private string _stub = "";
    private string _binflate = "";
    private string _work = "";

    private static readonly string BtmCli = Path.Combine(TestContext.CurrentContext.TestDirectory, "btm.dll");

    [OneTimeSetUp]
    public void BuildStub()
    {
        foreach (var tool in new[] { "cmake", "cc", "pkg-config" })
        {
            if ((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').All(d => !File.Exists(Path.Combine(d, tool))))
                Assert.Ignore($"{tool} is not installed (see README prerequisites)");
        }
        _box = new Sandbox("bin-stub", "binflate");
        var r = _box.Run("--target=Test", "--mode=prod");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        _stub = Path.Combine(_box.Package("bin-stub"), "build", "prod", Sandbox.Host, "out", "Final", "bin-stub");
        _binflate = Path.Combine(_box.Package("binflate"), "build", "prod", Sandbox.Host, "out", "Final", "binflate");
        _work = Path.Combine(_box.Root, "work");
        Directory.CreateDirectory(_work);
    }

    [OneTimeTearDown]
    public void Cleanup() => _box?.Dispose();

    /// <summary>A compressed copy under work/&lt;folder&gt;/, named like the original (git dispatches on its own name).</summary>
    private string Press(string input, string folder, int level = 3)
    {
        Directory.CreateDirectory(Path.Combine(_work, folder));
        var output = Path.Combine(_work, folder, Path.GetFileName(input));
        var r = ProcessResult.Run("dotnet", [BtmCli, "binpress", input, "-o", output, "--stub", _stub, "--level", level.ToString()], _work, timeoutSeconds: 600);
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        return output;
    }

    private string FreshCache() => Path.Combine(_work, "dlx-" + Guid.NewGuid().ToString("N")[..8]);

    private static ProcessResult RunWithCache(string exe, string cache, params string[] args) =>
        ProcessResult.Run(exe, args, Path.GetTempPath(), new Dictionary<string, string?> { ["BTM_DLX_DIR"] = cache });

    private static string? Which(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, command)).FirstOrDefault(File.Exists);

    private static IEnumerable<string> RealExecutables()
    {
        foreach (var candidate in new[] { "cmake", "git", "node" })
        {
            if (Which(candidate) is { } path)
                yield return path;
        }
        if (Environment.ProcessPath is { } dotnet && Path.GetFileNameWithoutExtension(dotnet) == "dotnet")
            yield return dotnet;
    }

    [Test]
    public void Real_executables_round_trip_byte_identical_through_csharp_and_c_binflate()
    {
        foreach (var exe in RealExecutables())
        {
            var pressed = Press(exe, Path.GetFileName(exe) + ".pressed");
            Assert.That(new FileInfo(pressed).Length, Is.LessThan(new FileInfo(exe).Length + 300_000), exe);
            var viaCli = Path.Combine(_work, Path.GetFileName(exe) + ".restored-cs");
            Assert.That(ProcessResult.Run("dotnet", [BtmCli, "binflate", pressed, "-o", viaCli], _work).ExitCode, Is.Zero);
            var viaC = Path.Combine(_work, Path.GetFileName(exe) + ".restored-c");
            var c = ProcessResult.Run(_binflate, [pressed, "-o", viaC], _work);
            Assert.That(c.ExitCode, Is.Zero, c.Output);
            var expected = SHA256.HashData(File.ReadAllBytes(exe));
            Assert.That(SHA256.HashData(File.ReadAllBytes(viaCli)), Is.EqualTo(expected), $"{exe} via btm binflate");
            Assert.That(SHA256.HashData(File.ReadAllBytes(viaC)), Is.EqualTo(expected), $"{exe} via binflate (C)");
        }
    }

    [Test]
    public void A_compressed_binary_behaves_like_the_original_cold_and_warm()
    {
        foreach (var exe in RealExecutables().Where(e => Path.GetFileName(e) is "git" or "node"))
        {
            var pressed = Press(exe, "behaves-" + Path.GetFileName(exe));
            var original = ProcessResult.Run(exe, ["--version"], Path.GetTempPath());
            var cache = FreshCache();
            var cold = RunWithCache(pressed, cache, "--version");
            var warm = RunWithCache(pressed, cache, "--version");
            Assert.That((cold.ExitCode, cold.Stdout), Is.EqualTo((original.ExitCode, original.Stdout)), $"{exe} cold");
            Assert.That((warm.ExitCode, warm.Stdout), Is.EqualTo((original.ExitCode, original.Stdout)), $"{exe} warm");
            var entry = Directory.GetDirectories(cache).Single();
            Assert.That(Path.GetFileName(entry), Has.Length.EqualTo(32), "the cache key names the entry");
            Assert.That(File.ReadAllBytes(Path.Combine(entry, Path.GetFileName(exe))), Is.EqualTo(File.ReadAllBytes(exe)));
        }
    }

    [Test]
    public void Arguments_stdin_exit_codes_and_signals_pass_through()
    {
        var sh = Which("dash") ?? Which("sh")!;
        var pressed = Press(sh, "sh");
        var cache = FreshCache();
        var args = RunWithCache(pressed, cache, "-c", "printf '[%s]' \"$@\"", "zero", "a b", "", "ü");
        Assert.That((args.ExitCode, args.Stdout), Is.EqualTo((0, "[a b][][ü]")));
        Assert.That(RunWithCache(pressed, cache, "-c", "exit 42").ExitCode, Is.EqualTo(42));
        var env = ProcessResult.Run(pressed, ["-c", "echo \"$BTM_TEST_VALUE\""], _work,
            new Dictionary<string, string?> { ["BTM_DLX_DIR"] = cache, ["BTM_TEST_VALUE"] = "through" });
        Assert.That(env.Stdout, Is.EqualTo("through\n"));

        var start = new ProcessStartInfo(pressed, ["-c", "cat"]) { RedirectStandardInput = true, RedirectStandardOutput = true };
        start.Environment["BTM_DLX_DIR"] = cache;
        using (var cat = Process.Start(start)!)
        {
            cat.StandardInput.Write("stdin line\n");
            cat.StandardInput.Close();
            Assert.That(cat.StandardOutput.ReadToEnd(), Is.EqualTo("stdin line\n"));
            cat.WaitForExit();
        }

        var sleeper = new ProcessStartInfo(pressed, ["-c", "echo ready; exec sleep 30"]) { RedirectStandardOutput = true };
        sleeper.Environment["BTM_DLX_DIR"] = cache;
        using var p = Process.Start(sleeper)!;
        Assert.That(p.StandardOutput.ReadLine(), Is.EqualTo("ready"));
        Process.Start("kill", ["-TERM", p.Id.ToString()])!.WaitForExit();
        Assert.That(p.WaitForExit(TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(p.ExitCode, Is.EqualTo(128 + 15), "the signal reached the process that the stub became");
    }

    [Test]
    public void A_flipped_payload_byte_is_refused_with_its_exit_code_and_message()
    {
        var pressed = Press(Which("git")!, "git-flipped");
        var bytes = File.ReadAllBytes(pressed);
        var payloadStart = new FileInfo(_stub).Length;
        bytes[payloadStart + (bytes.Length - payloadStart - PressTrailer.Size) / 2] ^= 0x01;
        File.WriteAllBytes(pressed, bytes);
        var cache = FreshCache();
        var r = RunWithCache(pressed, cache, "--version");
        Assert.That(r.ExitCode, Is.EqualTo(120));
        Assert.That(r.Stderr, Does.Contain("git: corrupt compressed binary: corrupt payload"));
        Assert.That(Directory.Exists(cache) ? Directory.GetFiles(cache, "git", SearchOption.AllDirectories) : [], Is.Empty);
        Assert.That(Directory.Exists(cache) ? Directory.GetFiles(cache, ".extract.tmp-*", SearchOption.AllDirectories) : [], Is.Empty);
    }

    [Test]
    public void An_Authenticode_signed_compressed_PE_restores_through_both_binflates_for_every_alignment_and_a_changed_byte_is_refused()
    {
        Sandbox.RequireTools("x86_64-w64-mingw32-gcc", "osslsigncode", "openssl");
        var work = Path.Combine(_work, "signed-pe");
        Directory.CreateDirectory(work);
        File.WriteAllText(Path.Combine(work, "hello.c"), "#include <stdio.h>\nint main(void) { puts(\"hello from a signed compressed program\"); return 0; }\n");
        foreach (var (name, args) in new[] { ("hello.exe", new[] { "-O2", "-o", "hello.exe", "hello.c" }), ("stub.exe", new[] { "-Os", "-DSTUB", "-o", "stub.exe", "hello.c" }) })
            Assert.That(ProcessResult.Run("x86_64-w64-mingw32-gcc", args, work).ExitCode, Is.Zero, name);
        var (pkcs12, password) = Btm.Build.Release.Authenticode.MakeLocal("BTM test");
        File.WriteAllBytes(Path.Combine(work, "local.p12"), pkcs12);
        File.WriteAllText(Path.Combine(work, "pass"), password);
        Assert.That(ProcessResult.Run("openssl", ["pkcs12", "-in", "local.p12", "-passin", "file:pass", "-nokeys", "-out", "chain.pem"], work).ExitCode, Is.Zero);
        var original = File.ReadAllBytes(Path.Combine(work, "hello.exe"));
        var pads = new HashSet<long>();
        // The stub grown by 0-7 bytes moves the trailer's end through every remainder mod 8, so
        // osslsigncode aligns the certificate table with each count of zeros once.
        for (var grow = 0; grow < 8; grow++)
        {
            var stub = Path.Combine(work, $"stub-{grow}.exe");
            File.WriteAllBytes(stub, [.. File.ReadAllBytes(Path.Combine(work, "stub.exe")), .. new byte[grow]]);
            var pressed = Path.Combine(work, $"pressed-{grow}.exe");
            var press = ProcessResult.Run("dotnet", [BtmCli, "binpress", Path.Combine(work, "hello.exe"), "-o", pressed, "--stub", stub], work);
            Assert.That(press.ExitCode, Is.Zero, press.Output);
            var signed = Path.Combine(work, $"signed-{grow}.exe");
            var sign = ProcessResult.Run("osslsigncode", ["sign", "-pkcs12", "local.p12", "-readpass", "pass", "-h", "sha256", "-in", pressed, "-out", signed], work);
            Assert.That(sign.ExitCode, Is.Zero, sign.Output);
            Assert.That(ProcessResult.Run("osslsigncode", ["verify", "-CAfile", "chain.pem", "-in", signed], work).Output, Does.Contain("Signature verification: ok"));
            var bytes = File.ReadAllBytes(signed);
            var table = Btm.Core.Platforms.PeSignature.CertificateTable(bytes, bytes.Length, PressTrailer.Size);
            Assert.That(table, Is.Not.Null, "a certificate table ends the signed file, after the trailer");
            pads.Add(table!.Value - new FileInfo(pressed).Length);
            Assert.That(PressTrailer.HasMagic(signed), Is.True, grow.ToString());

            var viaCli = Path.Combine(work, $"restored-cs-{grow}.exe");
            var cs = ProcessResult.Run("dotnet", [BtmCli, "binflate", signed, "-o", viaCli], work);
            Assert.That(cs.ExitCode, Is.Zero, cs.Output);
            var viaC = Path.Combine(work, $"restored-c-{grow}.exe");
            var c = ProcessResult.Run(_binflate, [signed, "-o", viaC], work);
            Assert.That(c.ExitCode, Is.Zero, c.Output);
            Assert.That(File.ReadAllBytes(viaCli), Is.EqualTo(original), $"grow {grow}: btm binflate");
            Assert.That(File.ReadAllBytes(viaC), Is.EqualTo(original), $"grow {grow}: binflate (C)");

            // A payload byte changed after signing: both signatures catch it.
            var trailer = PressTrailer.Read(new MemoryStream(bytes));
            bytes[trailer.PayloadOffset + trailer.PayloadSize / 2] ^= 0x01;
            var flipped = Path.Combine(work, $"flipped-{grow}.exe");
            File.WriteAllBytes(flipped, bytes);
            Assert.That(ProcessResult.Run("osslsigncode", ["verify", "-CAfile", "chain.pem", "-in", flipped], work).Output, Does.Not.Contain("Signature verification: ok"));
            var cBad = ProcessResult.Run(_binflate, [flipped, "-o", Path.Combine(work, "never")], work);
            Assert.That(cBad.ExitCode, Is.EqualTo(3), $"binflate (C): {cBad.Output}");
            Assert.That(cBad.Stderr, Does.Contain("corrupt"), "binflate (C)");
            Assert.That(ProcessResult.Run("dotnet", [BtmCli, "binflate", flipped, "-o", Path.Combine(work, "never")], work).ExitCode, Is.Not.Zero, "btm binflate");
            Assert.That(File.Exists(Path.Combine(work, "never")), Is.False);
        }
        Assert.That(pads, Has.Count.GreaterThan(1), "the aligning zeros took more than one length");
    }

    [Test]
    public void A_payload_in_a_legacy_zstd_format_is_refused_not_decoded()
    {
        // The stub links no legacy (v0.5-v0.7) decoders: a frame with the v0.7 magic must be refused cleanly.
        var pressed = Press(Which("git")!, "git-legacy");
        var bytes = File.ReadAllBytes(pressed);
        var payloadStart = (int)new FileInfo(_stub).Length;
        new byte[] { 0x27, 0xB5, 0x2F, 0xFD }.CopyTo(bytes, payloadStart);
        File.WriteAllBytes(pressed, bytes);
        var r = RunWithCache(pressed, FreshCache(), "--version");
        Assert.That(r.ExitCode, Is.EqualTo(120), r.Stderr);
        Assert.That(r.Stderr, Does.Contain("git: corrupt compressed binary: corrupt payload"));
    }

    [Test]
    public void A_truncated_file_is_refused()
    {
        var pressed = Press(Which("git")!, "git-cut");
        var bytes = File.ReadAllBytes(pressed);
        File.WriteAllBytes(pressed, bytes[..(bytes.Length / 2)]);
        var r = RunWithCache(pressed, FreshCache(), "--version");
        Assert.That(r.ExitCode, Is.EqualTo(120));
        Assert.That(r.Stderr, Does.Contain("git: no BTMPRESS trailer").And.Contain("truncated"));
        var cut = File.ReadAllBytes(pressed);
        File.WriteAllBytes(pressed, [.. bytes[..(bytes.Length / 2)], .. bytes[^PressTrailer.Size..]]);
        var inside = RunWithCache(pressed, FreshCache(), "--version");
        Assert.That(inside.ExitCode, Is.EqualTo(120), "the trailer survived but the payload it points at did not");
        Assert.That(inside.Stderr, Does.Contain("outside the file"));
        Assert.That(cut, Has.Length.EqualTo(bytes.Length / 2));
        Assert.That(RunWithCache(_stub, FreshCache()).Stderr, Does.Contain("bare stub"));
    }

    [Test]
    public void Thirty_two_concurrent_first_runs_all_succeed_with_one_entry_and_no_temp_files()
    {
        var git = Which("git")!;
        var pressed = Press(git, "git-concurrent");
        var expected = ProcessResult.Run(git, ["--version"], _work).Stdout;
        var cache = FreshCache();
        var starts = Enumerable.Range(0, 32).Select(_ =>
        {
            var start = new ProcessStartInfo(pressed, ["--version"]) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["BTM_DLX_DIR"] = cache;
            return Process.Start(start)!;
        }).ToList();
        foreach (var p in starts)
        {
            var output = p.StandardOutput.ReadToEnd();
            var error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.That((p.ExitCode, output), Is.EqualTo((0, expected)), error);
        }
        var entries = Directory.GetDirectories(cache);
        Assert.That(entries, Has.Length.EqualTo(1));
        Assert.That(Directory.GetFiles(entries[0]).Select(Path.GetFileName).Order(),
            Is.EqualTo(new[] { ".git.complete", ".lock", "git" }));
        Assert.That(File.ReadAllBytes(Path.Combine(entries[0], "git")), Is.EqualTo(File.ReadAllBytes(git)));
    }

    /// <summary>A shell script of exactly <paramref name="size"/> bytes that prints PLANTED: what an attacker would put in the cache.</summary>
    private static byte[] Planted(long size)
    {
        var head = "#!/bin/sh\necho PLANTED\nexit 7\n#";
        return System.Text.Encoding.ASCII.GetBytes(head + new string('x', (int)size - head.Length));
    }

    private static bool IsRoot => Environment.UserName == "root";

    [Test]
    public void A_replaced_or_modified_cache_entry_is_extracted_again_and_never_run()
    {
        var sh = Which("dash") ?? Which("sh")!;
        var pressed = Press(sh, "sh-tamper");
        var cache = FreshCache();
        Assert.That(RunWithCache(pressed, cache, "-c", "echo ok").Stdout, Is.EqualTo("ok\n"));
        var entry = Path.Combine(Directory.GetDirectories(cache).Single(), Path.GetFileName(pressed));
        var original = File.ReadAllBytes(sh);
        // The record's format (docs/binpress-format.md), checked against coreutils' own stat of the entry.
        var marker = Path.Combine(Path.GetDirectoryName(entry)!, $".{Path.GetFileName(entry)}.complete");
        var stat = ProcessResult.Run("stat", ["-c", "btm-dlx-entry 1 %d %i %s %.9Y %.9Z %u %a", entry], _work).Stdout;
        Assert.That(File.ReadAllText(marker), Is.EqualTo(stat));

        // Same size, same mode, marker untouched: only the record of the file itself tells them apart.
        var swap = entry + ".swap";
        File.WriteAllBytes(swap, Planted(original.Length));
        File.SetUnixFileMode(swap, (UnixFileMode)0b111_101_101);
        File.Move(swap, entry, overwrite: true);
        var replaced = RunWithCache(pressed, cache, "-c", "echo ok");
        Assert.That((replaced.ExitCode, replaced.Stdout), Is.EqualTo((0, "ok\n")), "the replacement never ran: " + replaced.Output);
        Assert.That(File.ReadAllBytes(entry), Is.EqualTo(original), "and the entry was extracted again");

        // One byte flipped in place (inode, size and mode unchanged).
        using (var file = new FileStream(entry, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = original.Length / 2;
            var b = file.ReadByte();
            file.Position = original.Length / 2;
            file.WriteByte((byte)(b ^ 0x01));
        }
        var flipped = RunWithCache(pressed, cache, "-c", "echo ok");
        Assert.That((flipped.ExitCode, flipped.Stdout), Is.EqualTo((0, "ok\n")), flipped.Output);
        Assert.That(File.ReadAllBytes(entry), Is.EqualTo(original), "the modified entry was extracted again");
        Assert.That(flipped.Stderr, Is.Empty, "re-extraction is silent");
    }

    [Test]
    public void A_cache_others_can_change_is_not_used_and_nothing_planted_there_runs()
    {
        var sh = Which("dash") ?? Which("sh")!;
        var pressed = Press(sh, "sh-planted");
        var size = new FileInfo(sh).Length;

        // A key folder that is a symlink to a folder holding a planted entry and a plausible marker.
        var cache = FreshCache();
        Assert.That(RunWithCache(pressed, cache, "-c", "true").ExitCode, Is.Zero);
        var key = Directory.GetDirectories(cache).Single();
        var elsewhere = Path.Combine(_work, "elsewhere-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.Move(key, elsewhere);
        File.WriteAllBytes(Path.Combine(elsewhere, Path.GetFileName(pressed)), Planted(size));
        File.SetUnixFileMode(Path.Combine(elsewhere, Path.GetFileName(pressed)), (UnixFileMode)0b111_101_101);
        Directory.CreateSymbolicLink(key, elsewhere);
        var viaLink = RunWithCache(pressed, cache, "-c", "echo ok");
        Assert.That((viaLink.ExitCode, viaLink.Stdout), Is.EqualTo((0, "ok\n")), viaLink.Output);
        Assert.That(viaLink.Stderr, Does.Contain("not using the cache folder").And.Contain("symbolic link").And.Contain("extracting privately"));

        // A cache root others can write to (as /tmp is).
        var open = FreshCache();
        Directory.CreateDirectory(open);
        File.SetUnixFileMode(open, (UnixFileMode)0b1_111_111_111);
        var shared = RunWithCache(pressed, open, "-c", "echo ok");
        Assert.That((shared.ExitCode, shared.Stdout), Is.EqualTo((0, "ok\n")), shared.Output);
        Assert.That(shared.Stderr, Does.Contain("others can write to it"));
        Assert.That(Directory.GetDirectories(open), Is.Empty, "nothing was written into it");

        if (!IsRoot)
            Assert.Ignore("the planted-by-another-user case needs root to chown (the symlink and shared-root cases passed)");
        // An entry planted by another user in a key folder that user owns.
        var planted = FreshCache();
        Assert.That(RunWithCache(pressed, planted, "-c", "true").ExitCode, Is.Zero);
        var plantedKey = Directory.GetDirectories(planted).Single();
        var plantedEntry = Path.Combine(plantedKey, Path.GetFileName(pressed));
        File.WriteAllBytes(plantedEntry, Planted(size));
        foreach (var path in new[] { plantedEntry, plantedKey })
            Assert.That(ProcessResult.Run("chown", ["65534:65534", path], _work).ExitCode, Is.Zero);
        var foreign = RunWithCache(pressed, planted, "-c", "echo ok");
        Assert.That((foreign.ExitCode, foreign.Stdout), Is.EqualTo((0, "ok\n")), foreign.Output);
        Assert.That(foreign.Stderr, Does.Contain("another user owns it"));
    }

    [Test]
    public void A_noexec_cache_runs_from_memory_with_one_line_saying_why()
    {
        var sh = Which("dash") ?? Which("sh")!;
        var pressed = Press(sh, "sh-noexec");
        var mountPoint = Path.Combine(_work, "noexec-cache");
        Directory.CreateDirectory(mountPoint);
        var mount = ProcessResult.Run("mount", ["-t", "tmpfs", "-o", "noexec,mode=0700", "tmpfs", mountPoint], _work);
        if (mount.ExitCode != 0)
            Assert.Ignore($"cannot mount a noexec tmpfs here (needs root and CAP_SYS_ADMIN): {mount.Output.Trim()}");
        try
        {
            foreach (var run in new[] { "cold", "warm" })
            {
                var r = RunWithCache(pressed, mountPoint, "-c", "echo ok");
                Assert.That((r.ExitCode, r.Stdout), Is.EqualTo((0, "ok\n")), $"{run}: {r.Output}");
                Assert.That(r.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1), run);
                Assert.That(r.Stderr, Does.Contain("cannot execute from the cache folder").And.Contain("noexec").And.Contain("running from memory"), run);
            }
        }
        finally
        {
            ProcessResult.Run("umount", [mountPoint], _work);
        }
    }

    [Test]
    public void Killed_extractions_leave_temp_files_that_the_next_run_removes_and_their_names_are_random()
    {
        var node = Which("node");
        if (node is null)
            Assert.Ignore("node is not installed: a large binary is needed to catch an extraction in flight");
        var pressed = Press(node, "node-killed");
        var cache = FreshCache();
        var suffixes = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var start = new ProcessStartInfo(pressed, ["--version"]) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["BTM_DLX_DIR"] = cache;
            using var p = Process.Start(start)!;
            string? temp = null;
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (temp is null && !p.HasExited && DateTime.UtcNow < deadline)
            {
                var own = $".extract.tmp-{p.Id}-";
                temp = Directory.Exists(cache)
                    ? Directory.GetFiles(cache, own + "*", SearchOption.AllDirectories).FirstOrDefault()
                    : null;
                if (temp is null)
                    Thread.Sleep(2);
            }
            if (temp is null)
                Assert.Inconclusive("the extraction finished before it could be caught in flight");
            p.Kill();
            p.WaitForExit();
            Assert.That(File.Exists(temp), Is.True, "a killed extraction leaves its temp file");
            suffixes.Add(Path.GetFileName(temp)!.Split('-')[^1]);
        }
        Assert.That(suffixes[0], Is.Not.EqualTo(suffixes[1]), "temp names come from a real random source");
        var done = RunWithCache(pressed, cache, "--version");
        Assert.That(done.ExitCode, Is.Zero, done.Output);
        var left = Directory.GetFiles(cache, ".extract.tmp-*", SearchOption.AllDirectories);
        Assert.That(left, Is.Empty, "stale temp files are removed under the lock");
    }

    [Test]
    public void An_unwritable_cache_falls_back_and_still_runs()
    {
        var git = Which("git")!;
        var pressed = Press(git, "git-nocache");
        // Nothing can be created under /proc, not even by root: the cache is unusable.
        var r = RunWithCache(pressed, "/proc/btm-cannot-write-here", "--version");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        Assert.That(r.Stdout, Is.EqualTo(ProcessResult.Run(git, ["--version"], _work).Stdout));
        Assert.That(r.Stderr, Does.Contain("not using the cache folder").And.Contain("extracting privately"));
    }

    [Test]
    public void A_full_cache_disk_leaves_no_temp_file_and_falls_back()
    {
        var git = Which("git")!;
        var pressed = Press(git, "git-full");
        var mountPoint = Path.Combine(_work, "tiny-cache");
        Directory.CreateDirectory(mountPoint);
        // A 1 MiB tmpfs: smaller than git, so the writer fails with ENOSPC mid-extraction.
        var mount = ProcessResult.Run("mount", ["-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", mountPoint], _work);
        if (mount.ExitCode != 0)
            Assert.Ignore($"cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): {mount.Output.Trim()}");
        try
        {
            var r = RunWithCache(pressed, mountPoint, "--version");
            Assert.That(r.ExitCode, Is.Zero, r.Output);
            Assert.That(r.Stdout, Is.EqualTo(ProcessResult.Run(git, ["--version"], _work).Stdout));
            Assert.That(r.Stderr, Does.Contain("No space left on device").And.Contain("extracting privately"));
            var left = Directory.GetFiles(mountPoint, "*", SearchOption.AllDirectories).Select(Path.GetFileName);
            Assert.That(left, Is.EqualTo(new[] { ".lock" }), "no temp file, no entry and no completion marker");
        }
        finally
        {
            ProcessResult.Run("umount", [mountPoint], _work);
        }
    }

    [Test]
    public void Fuzzing_the_trailer_against_the_stub_for_four_seconds_gives_no_crash_and_no_hang()
    {
        var pressed = Press(Which("dash") ?? Which("sh")!, "fuzzed");
        var original = File.ReadAllBytes(pressed);
        var random = new Random(42);
        var watch = Stopwatch.StartNew();
        var runs = 0;
        var outcomes = new Dictionary<int, int>();
        while (watch.Elapsed < TimeSpan.FromSeconds(4))
        {
            var bytes = (byte[])original.Clone();
            var trailer = bytes.Length - PressTrailer.Size;
            for (var n = random.Next(1, 4); n > 0; n--)
                bytes[trailer + random.Next(8, 120)] = (byte)random.Next(256);
            if (random.Next(2) == 0) // a valid check lets the mutation reach the range checks
                SHA256.HashData(bytes.AsSpan(trailer, 120))[..8].CopyTo(bytes.AsSpan(trailer + 120));
            var file = Path.Combine(_work, "fuzzed", "fuzzed-copy");
            File.WriteAllBytes(file, bytes);
            File.SetUnixFileMode(file, (UnixFileMode)0x1ED);
            var start = new ProcessStartInfo(file, ["-c", "exit 7"]) { RedirectStandardError = true, RedirectStandardOutput = true };
            start.Environment["BTM_DLX_DIR"] = Path.Combine(_work, "fuzz-cache");
            using var p = Process.Start(start)!;
            p.StandardError.ReadToEnd();
            Assert.That(p.WaitForExit(TimeSpan.FromSeconds(10)), Is.True, "the stub hung");
            Assert.That(p.ExitCode, Is.AnyOf(7, 120), $"run {runs}: exit {p.ExitCode} (a crash or a wrong binary)");
            outcomes[p.ExitCode] = outcomes.GetValueOrDefault(p.ExitCode) + 1;
            runs++;
        }
        Assert.That(runs, Is.GreaterThan(50));
        Assert.That(outcomes.GetValueOrDefault(120), Is.GreaterThan(0));
    }

    [Test]
    public void The_btm_cli_explains_itself_and_refuses_bad_input()
    {
        Assert.That(ProcessResult.Run("dotnet", [BtmCli, "--help"], _work).Stdout, Does.Contain("binpress <input> -o <output>"));
        Assert.That(ProcessResult.Run("dotnet", [BtmCli, "binpress", "--help"], _work).Stdout, Does.Contain("--level"));
        Assert.That(ProcessResult.Run("dotnet", [BtmCli, "binflate", "--help"], _work).Stdout, Does.Contain("SHA-256"));
        var missing = ProcessResult.Run("dotnet", [BtmCli, "binpress", "/no/such/file", "-o", "x"], _work);
        Assert.That((missing.ExitCode, missing.Stderr.Trim()), Is.EqualTo((2, "btm: binpress: /no/such/file does not exist")));
        var noFolder = ProcessResult.Run("dotnet", [BtmCli, "binpress", Which("git")!, "-o", Path.Combine(_work, "no-such-folder", "git"), "--stub", _stub], _work);
        Assert.That((noFolder.ExitCode, noFolder.Stderr.Trim()), Is.EqualTo((2,
            $"btm: binpress: -o {Path.Combine(_work, "no-such-folder", "git")}: the folder {Path.Combine(_work, "no-such-folder")} does not exist (create it, or write the output elsewhere)")));
        var notPressed = ProcessResult.Run("dotnet", [BtmCli, "binflate", Which("git")!, "-o", Path.Combine(_work, "x")], _work);
        Assert.That(notPressed.ExitCode, Is.EqualTo(1));
        Assert.That(notPressed.Stderr, Does.Contain("no BTMPRESS trailer"));
        Assert.That(ProcessResult.Run("dotnet", [BtmCli, "binpress", Which("git")!, "-o", "y", "--stub", _stub, "--level", "99"], _work).ExitCode, Is.EqualTo(2));

        // The stub follows the input's headers; inside a repo, the repo's own build is the one used.
        var text = Path.Combine(_work, "notes.txt");
        File.WriteAllText(text, "not a program\n");
        var unknown = ProcessResult.Run("dotnet", [BtmCli, "binpress", text, "-o", Path.Combine(_work, "notes.packed")], _work);
        Assert.That((unknown.ExitCode, unknown.Stderr.Trim()), Is.EqualTo((2,
            $"btm: binpress: {text} is not an x64 or arm64 ELF, PE or Mach-O executable, so its platform is unknown: pass --target-platform <id> ({Btm.Core.Platforms.PlatformId.KnownList})")));
        var both = ProcessResult.Run("dotnet", [BtmCli, "binpress", Which("git")!, "-o", "z", "--stub", _stub, "--target-platform", "linux-x64"], _work);
        Assert.That((both.ExitCode, both.Stderr.Trim()), Is.EqualTo((2, "btm: binpress: --stub and --target-platform both choose the stub: pass one")));
        var darwin = ProcessResult.Run("dotnet", [BtmCli, "binpress", Which("git")!, "-o", "z", "--target-platform", "darwin-arm64"], _work);
        Assert.That(darwin.ExitCode, Is.EqualTo(2));
        Assert.That(darwin.Stderr, Does.StartWith("btm: binpress: no bin-stub for darwin-arm64 (from --target-platform): ")
            .And.Contain("--platform=darwin-arm64, or pass --stub <file>"));
        var packed = Path.Combine(_work, "git-repo-stub");
        var own = ProcessResult.Run("dotnet", [BtmCli, "binpress", Which("git")!, "-o", packed, "--level", "1"], _work);
        Assert.That(own.ExitCode, Is.Zero, own.Output);
        var stubBytes = File.ReadAllBytes(_stub);
        Assert.That(File.ReadAllBytes(packed).AsSpan(0, stubBytes.Length).SequenceEqual(stubBytes), Is.True, "the repo's own linux-x64 stub");
    }

    [Test]
    public void Compress_true_ships_a_verified_self_extracting_binary_in_prod_only()
    {
        if ((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').All(d => !File.Exists(Path.Combine(d, "npm"))))
            Assert.Ignore("npm is not installed (see README prerequisites)");
        using var box = new Sandbox("bin-stub");
        box.AddEchoer(extraJson: "\"compress\": true");
        // Big enough for compression to pay (the gate ships a binary that does not shrink as it is).
        var main = Path.Combine(box.Package("echoer"), "src", "main.c");
        File.WriteAllText(main, File.ReadAllText(main).Replace("int main(int argc, char **argv) {",
            "static const char table[1 << 20] = {1};\nint main(int argc, char **argv) {\n  if (argc > 99) return table[argc];"));
        box.CommitAll();
        var prod = box.Run("--target=Package", "--mode=prod", "--package=echoer");
        Assert.That(prod.ExitCode, Is.Zero, prod.Output);
        Assert.That(box.LastSummary().Select(s => (s.Package, s.Stage)), Does.Contain(("bin-stub", "final")), "the stub is built first, implied by compress");
        Assert.That(box.Outcome("echoer", "compressed"), Is.EqualTo("built"));
        var final = box.Final("echoer", "echoer", "prod");
        using (var file = File.OpenRead(final))
            Assert.That(PressTrailer.Read(file).UncompressedSize, Is.GreaterThan(0), "Final is the compressed binary");
        var run = ProcessResult.Run(final, ["--version"], box.Root, new Dictionary<string, string?> { ["BTM_DLX_DIR"] = Path.Combine(box.Root, "dlx") });
        Assert.That(run.Stdout, Is.EqualTo("echoer 0.1.0\n"));
        Assert.That(Directory.GetFiles(Path.Combine(box.ReleaseDir, "npm")).Select(Path.GetFileName), Has.None.Contains("bin-stub"), "bin-stub is not published");
        var verify = box.Run("--target=Verify");
        Assert.That(verify.ExitCode, Is.Zero, verify.Output);
        Assert.That(verify.Output, Does.Contain("echoer --version via @btm/echoer: echoer 0.1.0"));

        var again = box.Run("--target=Build", "--mode=prod", "--package=echoer");
        Assert.That(box.Outcome("echoer", "compressed"), Is.EqualTo("restored"));
        var dev = box.Run("--target=Build", "--package=echoer");
        Assert.That(dev.Output, Does.Contain("Compress skipped: dev mode ships plain binaries"));
        using (var file = File.OpenRead(box.Final("echoer", "echoer")))
            Assert.Throws<NotPressedException>(() => PressTrailer.Read(file));
        Assert.That(again.ExitCode, Is.Zero);
    }
}
