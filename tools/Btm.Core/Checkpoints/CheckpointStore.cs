using System.Security.Cryptography;
using Btm.Core.IO;
using Btm.Core.Keys;

namespace Btm.Core.Checkpoints;

/// <summary>
/// One package × platform × mode's checkpoints: for each stage, <c>&lt;stage&gt;.tar.gz</c> and
/// <c>&lt;stage&gt;.json</c>. The metadata is written last and is the commit record: without it
/// an archive is never used, and it pins the archive's size and SHA-256.
/// </summary>
public sealed class CheckpointStore(string directory)
{
    public string Directory { get; } = directory;

    public string MetadataPath(CheckpointStage stage) => Path.Combine(Directory, $"{stage.Id}.json");

    public string ArchivePath(CheckpointStage stage) => Path.Combine(Directory, $"{stage.Id}.tar.gz");

    public string StampPath(CheckpointStage stage) => Path.Combine(Directory, $"{stage.Id}.current");

    /// <summary>True when <paramref name="outputDir"/> is untouched since this checkpoint was restored or recorded.</summary>
    public bool OutputIsCurrent(CheckpointStage stage, CheckpointMetadata meta, string outputDir) =>
        OutputStamp.Matches(StampPath(stage), meta.ArchiveSha256, outputDir);

    public CheckpointProbe Probe(CheckpointStage stage, string package, string platform, string mode, KeyComponents expected)
    {
        var metaPath = MetadataPath(stage);
        if (!File.Exists(metaPath))
            return new CheckpointProbe(CheckpointState.Missing, "no checkpoint", null);
        CheckpointMetadata meta;
        try
        {
            meta = CheckpointMetadataSerializer.Deserialize(File.ReadAllBytes(metaPath));
        }
        catch (InvalidDataException e)
        {
            return new CheckpointProbe(CheckpointState.Corrupt, $"{metaPath}: {e.Message}", null);
        }
        if (meta.Package != package || meta.Stage != stage.Id || meta.Platform != platform || meta.Mode != mode)
            return new CheckpointProbe(CheckpointState.Corrupt,
                $"{metaPath}: describes {meta.Package} {meta.Stage} {meta.Platform} {meta.Mode}, not {package} {stage.Id} {platform} {mode}", meta);
        if (meta.Key != meta.Components.Key)
            return new CheckpointProbe(CheckpointState.Corrupt, $"{metaPath}: key does not match its components", meta);
        if (meta.Key != expected.Key)
        {
            var changed = expected.DifferencesFrom(meta.Components);
            return new CheckpointProbe(CheckpointState.Stale, $"inputs changed: {string.Join(", ", changed)}", meta);
        }
        var archive = Path.Combine(Directory, meta.ArchiveFile);
        if (!File.Exists(archive))
            return new CheckpointProbe(CheckpointState.Corrupt, $"{archive}: archive missing", meta);
        var size = new FileInfo(archive).Length;
        if (size != meta.ArchiveSize)
            return new CheckpointProbe(CheckpointState.Corrupt, $"{archive}: {size} bytes, metadata says {meta.ArchiveSize} (truncated or replaced)", meta);
        return new CheckpointProbe(CheckpointState.Usable, "key matches", meta);
    }

    /// <summary>
    /// Archives <paramref name="sourceDir"/> as the checkpoint of <paramref name="stage"/>. The old
    /// metadata goes first, so a crash at any point leaves no metadata that vouches for bytes it
    /// did not see.
    /// </summary>
    public CheckpointMetadata Save(CheckpointStage stage, string package, string platform, string mode,
        KeyComponents components, string sourceDir, DateTimeOffset created)
    {
        System.IO.Directory.CreateDirectory(Directory);
        AtomicFile.RemoveLeftovers(Directory);
        File.Delete(MetadataPath(stage));
        File.Delete(StampPath(stage));

        var archivePath = ArchivePath(stage);
        long size = 0;
        string sha = "";
        AtomicFile.Write(archivePath, stream =>
        {
            using var hashing = new HashingStream(stream, HashAlgorithmName.SHA256, leaveOpen: true);
            CheckpointArchive.Write(sourceDir, hashing);
            hashing.Flush();
            size = hashing.Count;
            sha = hashing.HexDigest();
        });
        FaultPoints.Hit("checkpoint.before-metadata");

        var meta = new CheckpointMetadata(package, stage.Id, platform, mode, components.Key, components,
            Path.GetFileName(archivePath), size, sha, created);
        AtomicFile.WriteAllBytes(MetadataPath(stage), CheckpointMetadataSerializer.Serialize(meta));
        OutputStamp.Write(StampPath(stage), sha, sourceDir);
        return meta;
    }

    /// <summary>
    /// Keeps a checkpoint that arrived from elsewhere (a remote cache): the archive is copied in
    /// and checked against <paramref name="meta"/> before the metadata that vouches for it is written.
    /// </summary>
    public CheckpointMetadata Import(CheckpointMetadata meta, Stream archive)
    {
        var stage = CheckpointStage.FromId(meta.Stage) ?? throw new CorruptCheckpointException(meta.Stage, "unknown stage");
        System.IO.Directory.CreateDirectory(Directory);
        AtomicFile.RemoveLeftovers(Directory);
        File.Delete(MetadataPath(stage));
        File.Delete(StampPath(stage));
        var archivePath = ArchivePath(stage);
        AtomicFile.Write(archivePath, stream =>
        {
            using var hashing = new HashingStream(stream, HashAlgorithmName.SHA256, leaveOpen: true);
            archive.CopyTo(hashing);
            hashing.Flush();
            if (hashing.Count != meta.ArchiveSize || hashing.HexDigest() != meta.ArchiveSha256)
                throw new CorruptCheckpointException(archivePath,
                    $"sha256 {hashing.HexDigest()} ({hashing.Count} bytes) does not match its metadata's {meta.ArchiveSha256} ({meta.ArchiveSize} bytes)");
        });
        var kept = meta with { ArchiveFile = Path.GetFileName(archivePath) };
        AtomicFile.WriteAllBytes(MetadataPath(stage), CheckpointMetadataSerializer.Serialize(kept));
        return kept;
    }

    /// <summary>
    /// Verifies the archive against its metadata and replaces <paramref name="destDir"/> with its
    /// content. Extraction goes to a temp sibling that is renamed into place only after the hash
    /// checks out, so a bad archive never leaves a complete-looking output.
    /// </summary>
    public void Restore(CheckpointMetadata meta, string destDir)
    {
        var stage = CheckpointStage.FromId(meta.Stage) ?? throw new CorruptCheckpointException(meta.Stage, "unknown stage");
        File.Delete(StampPath(stage));
        var archive = Path.Combine(Directory, meta.ArchiveFile);
        var parent = Path.GetDirectoryName(Path.GetFullPath(destDir))!;
        System.IO.Directory.CreateDirectory(parent);
        AtomicFile.RemoveLeftovers(parent);
        var temp = AtomicFile.TempPathFor(destDir);
        try
        {
            using (var file = new FileStream(archive, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
            using (var hashing = new HashingStream(file, HashAlgorithmName.SHA256, leaveOpen: true))
            {
                try
                {
                    CheckpointArchive.Extract(hashing, temp);
                    hashing.DrainToEnd();
                }
                catch (Exception e) when (e is InvalidDataException or IOException or FormatException or ArgumentException)
                {
                    throw new CorruptCheckpointException(archive, $"unreadable archive ({e.Message})");
                }
                if (hashing.Count != meta.ArchiveSize || hashing.HexDigest() != meta.ArchiveSha256)
                    throw new CorruptCheckpointException(archive,
                        $"sha256 {hashing.HexDigest()} ({hashing.Count} bytes) does not match metadata {meta.ArchiveSha256} ({meta.ArchiveSize} bytes)");
            }
            if (System.IO.Directory.Exists(destDir))
                System.IO.Directory.Delete(destDir, recursive: true);
            System.IO.Directory.Move(temp, destDir);
            OutputStamp.Write(StampPath(stage), meta.ArchiveSha256, destDir);
        }
        finally
        {
            if (System.IO.Directory.Exists(temp))
                System.IO.Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>Removes a stage's checkpoint (after it was found corrupt, or on Clean).</summary>
    public void Remove(CheckpointStage stage)
    {
        File.Delete(StampPath(stage));
        File.Delete(MetadataPath(stage));
        File.Delete(ArchivePath(stage));
    }
}
