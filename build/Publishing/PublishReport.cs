namespace Btm.Build.Publishing;

public enum PublishOutcome
{
    /// <summary>Not attempted (an earlier step failed).</summary>
    NotPublished,
    Published,
    /// <summary>Already on the registry with identical bytes: how a re-run resumes.</summary>
    Skipped,
    /// <summary>Appeared during this run with identical bytes, written by another run: never undone by this one.</summary>
    Present,
    /// <summary>Published by this run, then unpublished after a failure.</summary>
    RolledBack,
    /// <summary>Published by this run; the registry refused to unpublish it, so it is deprecated.</summary>
    Deprecated,
    Failed,
}

/// <summary>What happened to each package of a release, for the report at the end of Publish.</summary>
public sealed class PublishReport
{
    private readonly Dictionary<string, (PublishOutcome Outcome, string Detail)> _rows = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public void Set(string name, PublishOutcome outcome, string detail = "")
    {
        lock (_rows)
        {
            if (!_rows.ContainsKey(name))
                _order.Add(name);
            _rows[name] = (outcome, detail);
        }
    }

    public PublishOutcome this[string name]
    {
        get { lock (_rows) return _rows.TryGetValue(name, out var r) ? r.Outcome : PublishOutcome.NotPublished; }
    }

    public IReadOnlyList<(string Name, PublishOutcome Outcome, string Detail)> Rows
    {
        get { lock (_rows) return _order.Select(n => (n, _rows[n].Outcome, _rows[n].Detail)).ToList(); }
    }

    public IReadOnlyList<string> Render()
    {
        var rows = Rows;
        if (rows.Count == 0)
            return [];
        var width = Math.Max(7, rows.Max(r => r.Name.Length));
        var lines = new List<string> { $"{"Package".PadRight(width)}  {"Result",-12}  Detail", new('-', width + 30) };
        lines.AddRange(rows.Select(r => $"{r.Name.PadRight(width)}  {Label(r.Outcome),-12}  {r.Detail}".TrimEnd()));
        return lines;
    }

    public static string Label(PublishOutcome outcome) => outcome switch
    {
        PublishOutcome.NotPublished => "not published",
        PublishOutcome.RolledBack => "rolled back",
        _ => outcome.ToString().ToLowerInvariant(),
    };
}
