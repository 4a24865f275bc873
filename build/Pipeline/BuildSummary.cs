using System.Text.Json;
using Btm.Core.IO;

namespace Btm.Build.Pipeline;

public sealed record SummaryEntry(string Package, string Platform, string Mode, string Stage, StageOutcome Outcome, string Detail, TimeSpan Duration);

/// <summary>Per package, platform and stage: built, restored, skipped (with why) or failed.</summary>
public sealed class BuildSummary
{
    private readonly List<SummaryEntry> _entries = [];
    private readonly object _gate = new();

    public IReadOnlyList<SummaryEntry> Entries
    {
        get { lock (_gate) return _entries.ToList(); }
    }

    /// <summary>Forgets every entry (CheckTools checks again after installing what was missing).</summary>
    public void Clear()
    {
        lock (_gate)
            _entries.Clear();
    }

    public void Add(SummaryEntry entry)
    {
        lock (_gate)
            _entries.Add(entry);
    }

    private static readonly StageOutcome[] OutcomeOrder =
        [StageOutcome.Built, StageOutcome.Restored, StageOutcome.Skipped, StageOutcome.Passed, StageOutcome.Failed];

    public IReadOnlyList<string> Render()
    {
        var entries = Entries;
        if (entries.Count == 0)
            return [];
        var header = new[] { "Package", "Platform", "Mode", "Stage", "Result", "Time", "Detail" };
        var rows = entries.Select(e => new[]
        {
            e.Package, e.Platform, e.Mode, e.Stage, e.Outcome.ToString().ToLowerInvariant(),
            e.Outcome is StageOutcome.Skipped ? "" : $"{e.Duration.TotalSeconds:0.00}s", e.Detail,
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd();
        var ruleWidth = 2 * (widths.Length - 1);
        foreach (var w in widths)
            ruleWidth += w;
        var lines = new List<string> { Line(header), new('-', ruleWidth) };
        lines.AddRange(rows.Select(Line));
        // A loop, not GroupBy over the enum: each new generic shape costs a no-op build JIT time.
        var counts = new List<string>();
        foreach (var outcome in OutcomeOrder)
        {
            var n = 0;
            foreach (var e in entries)
                n += e.Outcome == outcome ? 1 : 0;
            if (n > 0)
                counts.Add($"{n} {outcome.ToString().ToLowerInvariant()}");
        }
        lines.Add($"stages: {string.Join(", ", counts)}");
        return lines;
    }

    public void WriteJson(string path, RemoteCache.RemoteCacheCounts? remote = null)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        AtomicFile.Write(full, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            w.WriteStartObject();
            w.WriteStartArray("stages");
            foreach (var e in Entries)
            {
                w.WriteStartObject();
                w.WriteString("package", e.Package);
                w.WriteString("platform", e.Platform);
                w.WriteString("mode", e.Mode);
                w.WriteString("stage", e.Stage);
                w.WriteString("outcome", e.Outcome.ToString().ToLowerInvariant());
                w.WriteString("detail", e.Detail);
                w.WriteNumber("seconds", Math.Round(e.Duration.TotalSeconds, 3));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (remote is not null)
            {
                w.WriteStartObject("remote");
                w.WriteNumber("restored", remote.Restored);
                w.WriteNumber("uploaded", remote.Uploaded);
                w.WriteNumber("refused", remote.Refused);
                if (remote.DisabledBecause is { } why)
                    w.WriteString("disabled", why);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        });
    }
}
