using System.Diagnostics;
using System.Formats.Tar;
using System.Text;
using System.Text.Json;
using Btm.Core.Psp;
using Btm.Core.Release;

namespace Btm.Core.Tests;

/// <summary>
/// The PSP format (docs/psp-format.md): the C# writer's bytes pinned by a golden package, read back
/// by the C# reader and by an independent Python reader (psp_reader.py, openssl and zstd); every
/// region's tampering named; hostile slots refused when packing and when read.
/// </summary>
public class PspTests
{
    private static readonly Ed25519Keys.KeyPair Key = Ed25519Keys.FromSeed(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
    private static readonly byte[] Launcher = Encoding.ASCII.GetBytes("#!golden launcher: stands in for the native one\n");
    private static readonly PspMetadata Metadata = new("golden", "1.0.0", "linux-x64", "runtime/bin/tool", ["--app", "{workenv}/app/main.txt"], ["GOLDEN=1", "HOME_OF_APP={workenv}/app"]);

    private static string GoldenPath => Path.Combine(TestContext.CurrentContext.TestDirectory, "Golden", "psp", "golden.psp");

    private static string Reader => Path.Combine(TestContext.CurrentContext.TestDirectory, "psp_reader.py");

    /// <summary>The golden inputs: a runtime slot (an executable, a folder, a link inside the slot) and an app slot.</summary>
    private static List<PspSlotSource> Sources(TempDir dir)
    {
        dir.Write("runtime/bin/tool", "#!/bin/sh\necho runtime\n");
        File.SetUnixFileMode(Path.Combine(dir.Path, "runtime/bin/tool"), (UnixFileMode)0x1ed);
        dir.Write("runtime/lib/data.txt", "runtime data\n");
        dir.Write("runtime/lib/deep/er/still.txt", "deep\n");
        File.CreateSymbolicLink(Path.Combine(dir.Path, "runtime/lib/alias.txt"), "data.txt");
        dir.Write("app/main.txt", "hello from the app slot\n");
        return [new("runtime", PspPurpose.Runtime, Path.Combine(dir.Path, "runtime")), new("app", PspPurpose.App, Path.Combine(dir.Path, "app"))];
    }

    private static string Pack(TempDir dir, Ed25519Keys.KeyPair? key = null)
    {
        var output = Path.Combine(dir.Path, "out.psp");
        PspWriter.Write(output, Launcher, Metadata, Sources(dir), key ?? Key);
        return output;
    }

    private static (int Exit, string Stdout, string Stderr) Python(string package, byte[] key)
    {
        if (!File.Exists("/usr/bin/python3") || !File.Exists("/usr/bin/zstd") || !File.Exists("/usr/bin/openssl"))
            Assert.Ignore("the independent reader needs python3, zstd and openssl (apt-get install python3.11 zstd openssl)");
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Reader, package, Convert.ToHexStringLower(key) })
            start.ArgumentList.Add(arg);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr);
    }

    [Test]
    public void The_writer_gives_the_golden_bytes_and_both_readers_read_them()
    {
        using var dir = new TempDir();
        var written = File.ReadAllBytes(Pack(dir));
        if (Environment.GetEnvironmentVariable("BTM_WRITE_GOLDEN") == "1")
            File.WriteAllBytes(Path.Combine(TestContext.CurrentContext.TestDirectory, "../../../../../packages/psp-launcher/test/golden.psp"), written);
        Assert.That(written, Is.EqualTo(File.ReadAllBytes(GoldenPath)), "the same inputs give the same bytes (set BTM_WRITE_GOLDEN=1 to renew after a format change)");

        var package = PspReader.Read(GoldenPath, [Key.PublicKey]);
        Assert.That(package.Metadata.Name, Is.EqualTo("golden"));
        Assert.That(package.Metadata.Args, Is.EqualTo(Metadata.Args));
        Assert.That(package.Metadata.Environment, Is.EqualTo(Metadata.Environment));
        Assert.That(package.LauncherSize, Is.EqualTo(Launcher.Length));
        Assert.That(package.Slots.Select(s => (s.Name, s.Purpose)), Is.EqualTo(new[] { ("runtime", PspPurpose.Runtime), ("app", PspPurpose.App) }));

        var python = Python(GoldenPath, Key.PublicKey);
        Assert.That(python.Exit, Is.Zero, python.Stderr);
        using var json = JsonDocument.Parse(python.Stdout);
        var root = json.RootElement;
        Assert.That(root.GetProperty("checksum").GetString(), Is.EqualTo(package.Checksum));
        Assert.That(root.GetProperty("metadata").GetProperty("entry").GetString(), Is.EqualTo("runtime/bin/tool"));
        Assert.That(root.GetProperty("metadata").GetProperty("env").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(Metadata.Environment));
        var slots = root.GetProperty("slots").EnumerateArray().ToList();
        Assert.That(slots.Select(s => s.GetProperty("content_sha256").GetString()), Is.EqualTo(package.Slots.Select(s => s.ContentAddress)));
        var runtime = slots[0].GetProperty("entries").EnumerateArray().Select(e => $"{e.GetProperty("type").GetString()} {e.GetProperty("path").GetString()} {e.GetProperty("mode").GetString()}").ToList();
        Assert.That(runtime, Is.EqualTo(new[]
        {
            "folder bin 0o755", "file bin/tool 0o755", "folder lib 0o755", "file lib/alias.txt 0o644", "file lib/data.txt 0o644",
            "folder lib/deep 0o755", "folder lib/deep/er 0o755", "file lib/deep/er/still.txt 0o644",
        }), "sorted, normalized, the in-slot link stored as a copy of its target");
    }

    [Test]
    public void Extracting_writes_each_slot_with_its_modes()
    {
        using var dir = new TempDir();
        var package = PspReader.Read(GoldenPath, [Key.PublicKey]);
        foreach (var slot in package.Slots)
            PspReader.Extract(package, slot, Path.Combine(dir.Path, "env", slot.Name));
        Assert.That(File.ReadAllText(Path.Combine(dir.Path, "env/app/main.txt")), Is.EqualTo("hello from the app slot\n"));
        Assert.That(File.ReadAllText(Path.Combine(dir.Path, "env/runtime/lib/alias.txt")), Is.EqualTo("runtime data\n"));
        Assert.That(File.GetUnixFileMode(Path.Combine(dir.Path, "env/runtime/bin/tool")) & UnixFileMode.UserExecute, Is.EqualTo(UnixFileMode.UserExecute));
        Assert.That(File.GetUnixFileMode(Path.Combine(dir.Path, "env/runtime/lib/data.txt")) & UnixFileMode.UserExecute, Is.EqualTo(UnixFileMode.None));
    }

    /// <summary>A byte in the middle of each region, from the golden package's own layout.</summary>
    private static IEnumerable<(string Region, long Offset)> Regions()
    {
        var package = PspReader.Read(GoldenPath, [Key.PublicKey]);
        var length = new FileInfo(GoldenPath).Length;
        var index = length - PspFormat.IndexSize;
        var table = package.Slots[0].Offset - package.Slots.Count * PspFormat.SlotEntrySize;
        yield return ("launcher", package.LauncherSize / 2);
        yield return ("metadata", package.LauncherSize + 3);
        yield return ("table", table + 40);
        foreach (var slot in package.Slots)
            yield return ($"slot {slot.Name}", slot.Offset + slot.Size / 2);
        yield return ("index", index + 220);
        yield return ("signature", length - 10);
    }

    [Test]
    public void One_flipped_byte_in_each_region_is_refused_naming_the_region_by_both_readers()
    {
        using var dir = new TempDir();
        var golden = File.ReadAllBytes(GoldenPath);
        foreach (var (region, offset) in Regions())
        {
            var bytes = (byte[])golden.Clone();
            bytes[offset] ^= 0x40;
            var path = Path.Combine(dir.Path, $"flipped-{region.Replace(' ', '-')}.psp");
            File.WriteAllBytes(path, bytes);
            var e = Assert.Throws<PspException>(() => PspReader.Read(path, [Key.PublicKey]), region)!;
            Assert.That(e.Region, Is.EqualTo(region), e.Message);
            var python = Python(path, Key.PublicKey);
            Assert.That(python.Exit, Is.EqualTo(1), region);
            Assert.That(python.Stderr, Does.StartWith(region + ":"), $"the independent reader names {region} too");
        }
    }

    [Test]
    public void A_package_signed_by_another_key_or_checked_without_keys_is_refused()
    {
        using var dir = new TempDir();
        var other = Ed25519Keys.FromSeed(Enumerable.Repeat((byte)7, 32).ToArray());
        var path = Pack(dir, other);
        var e = Assert.Throws<PspException>(() => PspReader.Read(path, [Key.PublicKey]))!;
        Assert.That((e.Region, e.Message), Is.EqualTo(("signature", e.Message)));
        Assert.That(e.Message, Does.Contain("none of the 1 trusted key(s)"));
        Assert.That(Assert.Throws<PspException>(() => PspReader.Read(path, []))!.Message, Does.Contain("no trusted key was given"));
        Assert.That(Python(path, Key.PublicKey).Stderr, Does.StartWith("signature:"));
        // The key in the package's own index is never a reason to trust it: re-signing with the
        // other key and pointing the key id at it still needs that key to be trusted.
        Assert.That(PspReader.Read(path, [other.PublicKey]).Metadata.Name, Is.EqualTo("golden"));
    }

    [Test]
    public void Truncated_and_foreign_files_are_refused_clearly()
    {
        using var dir = new TempDir();
        var golden = File.ReadAllBytes(GoldenPath);
        foreach (var (name, bytes, region) in new[]
        {
            ("short", golden[..100], "index"), ("cut", golden[..^1], "index"), ("foreign", Encoding.ASCII.GetBytes(new string('x', 4096)), "index"),
            ("appended", [.. golden, 0], "index"),
        })
        {
            var path = Path.Combine(dir.Path, name);
            File.WriteAllBytes(path, bytes);
            var e = Assert.Throws<PspException>(() => PspReader.Read(path, [Key.PublicKey]), name)!;
            Assert.That(e.Region, Is.EqualTo(region), $"{name}: {e.Message}");
        }
    }

    [Test]
    public void Packing_refuses_a_link_out_a_link_to_a_folder_a_hard_link_and_a_fifo_naming_the_entry()
    {
        using var dir = new TempDir();
        dir.Write("outside.txt", "secret\n");
        void Refused(string setup, Action<string> make, string expected)
        {
            var slot = Path.Combine(dir.Path, setup);
            Directory.CreateDirectory(slot);
            File.WriteAllText(Path.Combine(slot, "ok.txt"), "ok\n");
            make(slot);
            var e = Assert.Throws<PspException>(() => PspWriter.Write(Path.Combine(dir.Path, setup + ".psp"), Launcher, Metadata with { Entry = "app/ok.txt" },
                [new PspSlotSource("app", PspPurpose.App, slot)], Key), setup)!;
            Assert.That(e.Region, Is.EqualTo("slot app"));
            Assert.That(e.Message, Does.Contain(expected), setup);
            Assert.That(File.Exists(Path.Combine(dir.Path, setup + ".psp")), Is.False, "nothing written");
        }
        Refused("link-out", s => File.CreateSymbolicLink(Path.Combine(s, "leak"), Path.Combine(dir.Path, "outside.txt")), "leak is a symbolic link to");
        Refused("link-dir", s => { Directory.CreateDirectory(Path.Combine(s, "real")); Directory.CreateSymbolicLink(Path.Combine(s, "alias"), "real"); }, "alias is a symbolic link to a folder");
        Refused("hard", s => Run("ln", Path.Combine(s, "ok.txt"), Path.Combine(s, "twin.txt")), "hard link");
        Refused("fifo", s => Run("mkfifo", Path.Combine(s, "pipe")), "special file pipe");
    }

    [Test]
    public void An_entry_point_outside_every_slot_is_refused_at_pack_time()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<PspException>(() => PspWriter.Write(Path.Combine(dir.Path, "x.psp"), Launcher, Metadata with { Entry = "bin/tool" }, Sources(dir), Key))!;
        Assert.That(e.Region, Is.EqualTo("metadata"));
        Assert.That(e.Message, Does.Contain("entry point 'bin/tool' must start with a slot's name (runtime, app)"));
        Assert.That(File.Exists(Path.Combine(dir.Path, "x.psp")), Is.False);
    }

    [Test]
    public void The_launcher_key_block_takes_the_keys_given_and_refuses_a_file_without_one()
    {
        var launcher = new byte[4096];
        PspLauncher.Marker.CopyTo(launcher.AsSpan(1000));
        var patched = PspLauncher.WithKeys(launcher, [Key.PublicKey], "launcher");
        Assert.That(PspLauncher.Keys(patched), Has.Count.EqualTo(1));
        Assert.That(PspLauncher.Keys(patched)[0], Is.EqualTo(Key.PublicKey));
        Assert.That(PspLauncher.Keys(launcher), Is.Empty, "the input is not changed");
        Assert.That(Assert.Throws<Btm.Core.BuildFailedException>(() => PspLauncher.WithKeys(new byte[4096], [Key.PublicKey], "plain.bin"))!.Message,
            Does.Contain("plain.bin has no key block"));
        Assert.That(Assert.Throws<Btm.Core.BuildFailedException>(() => PspLauncher.WithKeys(launcher, Enumerable.Repeat(Key.PublicKey, 9).ToList(), "launcher"))!.Message,
            Does.Contain("1 to 8 keys"));
    }

    private static void Run(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var p = Process.Start(start)!;
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.Zero, tool);
    }

    [TestCase("../escape", TarEntryType.RegularFile, "has an empty, '.' or '..' segment")]
    [TestCase("/etc/passwd", TarEntryType.RegularFile, "is absolute")]
    [TestCase("link", TarEntryType.SymbolicLink, "is a symbolic link")]
    [TestCase("hard", TarEntryType.HardLink, "is a hard link")]
    [TestCase("pipe", TarEntryType.Fifo, "is a fifo")]
    [TestCase("dev", TarEntryType.CharacterDevice, "is a device")]
    public void A_crafted_slot_tar_is_refused_when_read(string name, TarEntryType type, string expected)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Ustar, leaveOpen: true))
        {
            var entry = new UstarTarEntry(type, name);
            if (type is TarEntryType.SymbolicLink or TarEntryType.HardLink)
                entry.LinkName = "/etc/passwd";
            if (type == TarEntryType.RegularFile)
                entry.DataStream = new MemoryStream("x"u8.ToArray());
            writer.WriteEntry(entry);
        }
        tar.Position = 0;
        var e = Assert.Throws<PspException>(() => PspTar.Read(tar, "app"))!;
        Assert.That(e.Message, Does.Contain(expected));
    }

    [Test]
    public void The_same_path_twice_in_a_slot_is_refused_when_read()
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var content in new[] { "first", "second" })
                writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "bin/tool") { DataStream = new MemoryStream(Encoding.ASCII.GetBytes(content)) });
        }
        tar.Position = 0;
        Assert.That(Assert.Throws<PspException>(() => PspTar.Read(tar, "app"))!.Message, Does.Contain("bin/tool appears twice"));
    }
}
