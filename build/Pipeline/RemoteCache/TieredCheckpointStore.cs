using Btm.Cake.Logging;
using Btm.Core.Checkpoints;
using Btm.Core.IO;
using Btm.Core.Keys;
using Cake.Core;

namespace Btm.Build.Pipeline.RemoteCache;

/// <summary>What the remote tier did in one run, for the summary.</summary>
public sealed class RemoteCacheCounts
{
    public int Restored;
    public int Uploaded;
    public int Refused;
    public string? DisabledBecause;
}

/// <summary>
/// The local checkpoint store first, a Turborepo-compatible remote cache behind it
/// (docs/remote-cache.md). A local miss asks the remote; what it answers is checked (the tag when
/// a signature key is set, always the entry's own metadata and archive hash) and kept in the local
/// store before it is restored from there. A stage saved locally is uploaded. A failing cache is
/// one warning and a build without it, never a failed build.
/// </summary>
public sealed class TieredCheckpointStore(ICakeContext log, RemoteCacheSettings settings) : ICheckpointStore
{
    private readonly LocalCheckpointStore _local = new();
    private readonly TurborepoCacheClient _client = new(settings);

    public RemoteCacheCounts Counts { get; } = new();

    public RemoteCacheSettings Settings => settings;

    public string Name => $"local, then remote {settings}";

    private bool Disabled => Volatile.Read(ref Counts.DisabledBecause) is not null;

    public CheckpointProbe Probe(CheckpointAddress unit, CheckpointStage stage, KeyComponents key)
    {
        var local = _local.Probe(unit, stage, key);
        if (local.State == CheckpointState.Usable || Disabled)
            return local;
        var hash = RemoteEntry.HashFor(unit.Package, unit.Platform, unit.Mode, stage.Id, key.Key);
        var store = new CheckpointStore(unit.LocalDirectory);
        Directory.CreateDirectory(store.Directory);
        var temp = AtomicFile.TempPathFor(Path.Combine(store.Directory, stage.Id + ".remote"));
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16))
            {
                bool found;
                string? tag;
                try
                {
                    (found, tag) = _client.Get(hash, file);
                }
                catch (RemoteCacheException e)
                {
                    Disable(e);
                    return local;
                }
                if (!found)
                    return local;
                if (settings.SignatureKey is { } secret)
                {
                    file.Position = 0;
                    var expected = RemoteEntry.Tag(secret, file, hash, settings.Team ?? "");
                    if (!RemoteEntry.TagMatches(expected, tag))
                        return Refuse(unit, stage, local, tag is null
                            ? $"it carries no {TurborepoCacheClient.TagHeader} and {RemoteCacheSettings.SignatureKeyVariable} is set"
                            : $"its {TurborepoCacheClient.TagHeader} does not match (altered, or signed with another key)");
                }
                file.Position = 0;
                try
                {
                    store.Import(RemoteEntry.ReadHeader(file, file.Length, hash), file);
                }
                catch (InvalidDataException e)
                {
                    return Refuse(unit, stage, local, e.Message);
                }
                catch (CorruptCheckpointException e)
                {
                    return Refuse(unit, stage, local, e.Reason);
                }
            }
            var restored = _local.Probe(unit, stage, key);
            if (restored.State != CheckpointState.Usable)
                return Refuse(unit, stage, local, restored.Reason);
            Interlocked.Increment(ref Counts.Restored);
            return restored with { FromRemote = true };
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public bool OutputIsCurrent(CheckpointAddress unit, CheckpointStage stage, CheckpointProbe probe, string outputDir) =>
        _local.OutputIsCurrent(unit, stage, probe, outputDir);

    public void Restore(CheckpointAddress unit, CheckpointStage stage, CheckpointProbe probe, string outputDir) =>
        _local.Restore(unit, stage, probe, outputDir);

    public void Save(CheckpointAddress unit, CheckpointStage stage, KeyComponents key, string outputDir)
    {
        _local.Save(unit, stage, key, outputDir);
        if (settings.Mode != RemoteCacheMode.ReadWrite || Disabled)
            return;
        var store = new CheckpointStore(unit.LocalDirectory);
        var meta = CheckpointMetadataSerializer.Deserialize(File.ReadAllBytes(store.MetadataPath(stage)));
        var hash = RemoteEntry.HashFor(meta);
        var temp = AtomicFile.TempPathFor(Path.Combine(store.Directory, stage.Id + ".upload"));
        try
        {
            using var entry = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
            using (var archive = File.OpenRead(store.ArchivePath(stage)))
                RemoteEntry.Write(meta, archive, entry);
            string? tag = null;
            if (settings.SignatureKey is { } secret)
            {
                entry.Position = 0;
                tag = RemoteEntry.Tag(secret, entry, hash, settings.Team ?? "");
            }
            entry.Position = 0;
            _client.Put(hash, entry, tag);
            Interlocked.Increment(ref Counts.Uploaded);
            log.Detail($"{unit} {stage.Id}: uploaded to the remote cache ({hash[..12]})");
        }
        catch (RemoteCacheException e)
        {
            Disable(e);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public void Remove(CheckpointAddress unit, CheckpointStage stage) => _local.Remove(unit, stage);

    public string Describe(CheckpointAddress unit, CheckpointStage stage) => _local.Describe(unit, stage);

    /// <summary>The summary's line: what came from the cache and went to it.</summary>
    public string Report() =>
        $"remote cache {settings}: {Counts.Restored} restored, {Counts.Uploaded} uploaded" +
        (Counts.Refused > 0 ? $", {Counts.Refused} refused" : "") +
        (Counts.DisabledBecause is { } why ? $"; off after: {why}" : "");

    private CheckpointProbe Refuse(CheckpointAddress unit, CheckpointStage stage, CheckpointProbe local, string reason)
    {
        Interlocked.Increment(ref Counts.Refused);
        log.Warn($"{unit} {stage.Id}: remote cache entry refused, building instead: {reason}");
        return local;
    }

    private void Disable(RemoteCacheException e)
    {
        if (Interlocked.CompareExchange(ref Counts.DisabledBecause, e.Message, null) is null)
            log.Warn($"remote cache: {e.Message}; going on without it for this run");
    }
}
