using System.Formats.Tar;
using System.IO.Compression;
using Btm.Core.Checkpoints;
using Btm.Core.IO;
using Btm.Core.Keys;

namespace Btm.Core.Tests;

public class CheckpointStoreTests
{
    private static readonly KeyComponents KeyA = new(new('1', 64), new('2', 64), new('3', 64), new('4', 64), new('5', 64), new('6', 64));
    private static readonly KeyComponents KeyB = KeyA with { Toolchain = new('9', 64) };
    private static readonly DateTimeOffset Created = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    private static (TempDir Dir, CheckpointStore Store, string Source) Setup()
    {
        var dir = new TempDir();
        var source = Path.Combine(dir.Path, "out", "Compiled");
        dir.Write("out/Compiled/tool", "#!/bin/sh\necho hi\n");
        dir.Write("out/Compiled/share/data.txt", "data");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(Path.Combine(source, "tool"), (UnixFileMode)0x1ED);
        return (dir, new CheckpointStore(Path.Combine(dir.Path, "checkpoints")), source);
    }

    private static CheckpointMetadata Save(CheckpointStore store, string source, KeyComponents? key = null) =>
        store.Save(CheckpointStage.Compiled, "pkg", "linux-x64", "dev", key ?? KeyA, source, Created);

    private static CheckpointProbe Probe(CheckpointStore store, KeyComponents? key = null) =>
        store.Probe(CheckpointStage.Compiled, "pkg", "linux-x64", "dev", key ?? KeyA);

    [Test]
    public void Saved_checkpoint_restores_files_and_modes()
    {
        var (dir, store, source) = Setup();
        using var _ = dir;
        var meta = Save(store, source);
        Assert.That(meta.ArchiveSha256, Is.EqualTo(Sha256.HexOfFile(store.ArchivePath(CheckpointStage.Compiled))));
        var probe = Probe(store);
        Assert.That(probe.State, Is.EqualTo(CheckpointState.Usable));

        var dest = Path.Combine(dir.Path, "restored");
        store.Restore(probe.Metadata!, dest);
        Assert.That(File.ReadAllText(Path.Combine(dest, "share/data.txt")), Is.EqualTo("data"));
        Assert.That(File.ReadAllText(Path.Combine(dest, "tool")), Is.EqualTo("#!/bin/sh\necho hi\n"));
        if (!OperatingSystem.IsWindows())
            Assert.That(File.GetUnixFileMode(Path.Combine(dest, "tool")), Is.EqualTo((UnixFileMode)0x1ED));
        Assert.That(Directory.GetFileSystemEntries(dir.Path).Where(AtomicFile.IsTemp), Is.Empty);
    }

    [Test]
    public void Another_key_is_stale_and_says_which_input_changed()
    {
        var (dir, store, source) = Setup();
        using var _ = dir;
        Save(store, source);
        var probe = Probe(store, KeyB);
        Assert.That(probe.State, Is.EqualTo(CheckpointState.Stale));
        Assert.That(probe.Reason, Is.EqualTo("inputs changed: toolchain"));
    }

    [Test]
    public void No_checkpoint_is_missing()
    {
        var (dir, store, _) = Setup();
        using var __ = dir;
        Assert.That(Probe(store).State, Is.EqualTo(CheckpointState.Missing));
    }

    [Test]
    public void A_flipped_archive_byte_is_refused_and_the_output_left_alone()
    {
        var (dir, store, source) = Setup();
        using var _ = dir;
        Save(store, source);
        var archive = store.ArchivePath(CheckpointStage.Compiled);
        var bytes = File.ReadAllBytes(archive);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(archive, bytes);

        var dest = Path.Combine(dir.Path, "restored");
        Directory.CreateDirectory(dest);
        File.WriteAllText(Path.Combine(dest, "previous"), "kept");
        var probe = Probe(store);
        Assert.That(probe.State, Is.EqualTo(CheckpointState.Usable), "same size: only the hash can tell");
        var e = Assert.Throws<CorruptCheckpointException>(() => store.Restore(probe.Metadata!, dest))!;
        Assert.That(e.Message, Does.Contain(archive));
        Assert.That(File.ReadAllText(Path.Combine(dest, "previous")), Is.EqualTo("kept"));
        Assert.That(Directory.GetFileSystemEntries(dir.Path).Where(AtomicFile.IsTemp), Is.Empty);
    }

    [Test]
    public void A_truncated_archive_is_corrupt_before_it_is_read()
    {
        var (dir, store, source) = Setup();
        using var _ = dir;
        Save(store, source);
        var archive = store.ArchivePath(CheckpointStage.Compiled);
        using (var f = new FileStream(archive, FileMode.Open))
            f.SetLength(f.Length - 10);
        var probe = Probe(store);
        Assert.That(probe.State, Is.EqualTo(CheckpointState.Corrupt));
        Assert.That(probe.Reason, Does.Contain("truncated"));
    }

    [TestCase("not json at all")]
    [TestCase("{\"format\": \"btm-checkpoint/0\"}")]
    [TestCase("")]
    public void Unreadable_metadata_is_corrupt(string text)
    {
        var (dir, store, source) = Setup();
        using var _ = dir;
        Save(store, source);
        File.WriteAllText(store.MetadataPath(CheckpointStage.Compiled), text);
        Assert.That(Probe(store).State, Is.EqualTo(CheckpointState.Corrupt));
    }

    [Test]
    public void Metadata_for_another_stage_or_platform_is_corrupt()
    {
        var (dir, store, source) = Setup();
        using var _ = dir;
        Save(store, source);
        Assert.That(store.Probe(CheckpointStage.Compiled, "pkg", "linux-arm64", "dev", KeyA).State, Is.EqualTo(CheckpointState.Corrupt));
        File.Copy(store.MetadataPath(CheckpointStage.Compiled), store.MetadataPath(CheckpointStage.Final));
        Assert.That(store.Probe(CheckpointStage.Final, "pkg", "linux-x64", "dev", KeyA).State, Is.EqualTo(CheckpointState.Corrupt));
    }

    [Test]
    public void An_archive_without_metadata_is_never_used()
    {
        // What a crash between the archive rename and the metadata write leaves behind.
        var (dir, store, source) = Setup();
        using var _ = dir;
        Save(store, source);
        File.Delete(store.MetadataPath(CheckpointStage.Compiled));
        Assert.That(Probe(store).State, Is.EqualTo(CheckpointState.Missing));
    }

    [Test]
    public void Temp_files_from_a_crashed_save_are_ignored_and_cleaned()
    {
        var (dir, store, source) = Setup();
        using var _ = dir;
        Directory.CreateDirectory(store.Directory);
        var leftover = Path.Combine(store.Directory, ".compiled.tar.gz.tmp-0123456789abcdef");
        File.WriteAllText(leftover, "half");
        Assert.That(Probe(store).State, Is.EqualTo(CheckpointState.Missing));
        Save(store, source);
        Assert.That(File.Exists(leftover), Is.False);
    }

    private static void WriteEvilArchive(string path, Action<TarWriter> entries)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip, TarEntryFormat.Ustar);
        entries(tar);
    }

    private static CheckpointMetadata ForgeMetadata(CheckpointStore store, string archive)
    {
        var meta = new CheckpointMetadata("pkg", "compiled", "linux-x64", "dev", KeyA.Key, KeyA, Path.GetFileName(archive),
            new FileInfo(archive).Length, Sha256.HexOfFile(archive), Created);
        File.WriteAllBytes(store.MetadataPath(CheckpointStage.Compiled), CheckpointMetadataSerializer.Serialize(meta));
        return meta;
    }

    [TestCase("../escape.txt")]
    [TestCase("a/../../escape.txt")]
    [TestCase("/tmp/escape.txt")]
    public void Entries_that_escape_the_output_are_rejected(string name)
    {
        var (dir, store, _) = Setup();
        using var __ = dir;
        Directory.CreateDirectory(store.Directory);
        var archive = store.ArchivePath(CheckpointStage.Compiled);
        WriteEvilArchive(archive, tar =>
        {
            var entry = new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream("x"u8.ToArray()) };
            tar.WriteEntry(entry);
        });
        var meta = ForgeMetadata(store, archive);
        var dest = Path.Combine(dir.Path, "deep", "restored");
        Assert.Throws<CorruptCheckpointException>(() => store.Restore(meta, dest));
        Assert.That(File.Exists(Path.Combine(dir.Path, "deep", "escape.txt")), Is.False);
        Assert.That(File.Exists(Path.Combine(dir.Path, "escape.txt")), Is.False);
        Assert.That(Directory.Exists(dest), Is.False);
    }

    [Test]
    public void Symlinks_pointing_outside_are_rejected()
    {
        var (dir, store, _) = Setup();
        using var __ = dir;
        Directory.CreateDirectory(store.Directory);
        var archive = store.ArchivePath(CheckpointStage.Compiled);
        WriteEvilArchive(archive, tar => tar.WriteEntry(new UstarTarEntry(TarEntryType.SymbolicLink, "link") { LinkName = "../../etc" }));
        var meta = ForgeMetadata(store, archive);
        Assert.Throws<CorruptCheckpointException>(() => store.Restore(meta, Path.Combine(dir.Path, "restored")));
    }

    [Test]
    public void Device_entries_are_rejected()
    {
        var (dir, store, _) = Setup();
        using var __ = dir;
        Directory.CreateDirectory(store.Directory);
        var archive = store.ArchivePath(CheckpointStage.Compiled);
        WriteEvilArchive(archive, tar => tar.WriteEntry(new UstarTarEntry(TarEntryType.CharacterDevice, "null")));
        var meta = ForgeMetadata(store, archive);
        var e = Assert.Throws<CorruptCheckpointException>(() => store.Restore(meta, Path.Combine(dir.Path, "restored")))!;
        Assert.That(e.Message, Does.Contain("CharacterDevice"));
    }
}

public class OutputStampTests
{
    [Test]
    public void A_stamp_matches_until_a_file_changes_appears_or_goes()
    {
        using var dir = new TempDir();
        var output = Path.Combine(dir.Path, "out");
        dir.Write("out/tool", "binary");
        dir.Write("out/lib/data", "data");
        var stamp = Path.Combine(dir.Path, "final.current");
        var sha = new string('a', 64);
        OutputStamp.Write(stamp, sha, output);
        Assert.That(OutputStamp.Matches(stamp, sha, output), Is.True);
        Assert.That(OutputStamp.Matches(stamp, new string('b', 64), output), Is.False, "another archive");

        dir.Write("out/extra", "");
        Assert.That(OutputStamp.Matches(stamp, sha, output), Is.False, "a file appeared");
        File.Delete(Path.Combine(output, "extra"));
        Assert.That(OutputStamp.Matches(stamp, sha, output), Is.True);

        File.WriteAllText(Path.Combine(output, "tool"), "binarx");
        File.SetLastWriteTimeUtc(Path.Combine(output, "tool"), DateTime.UtcNow.AddSeconds(5));
        Assert.That(OutputStamp.Matches(stamp, sha, output), Is.False, "a file changed");
        File.Delete(stamp);
        Assert.That(OutputStamp.Matches(stamp, sha, output), Is.False, "no stamp");
    }
}
