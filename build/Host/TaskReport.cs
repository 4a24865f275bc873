namespace Btm.Build.Host;

public sealed record TaskReportEntry(string Task, string Status, TimeSpan Duration, string? Reason);

/// <summary>What each task of the run did, recorded as it happens so a failure still gets a report.</summary>
public sealed class TaskReport
{
    private readonly List<TaskReportEntry> _entries = [];

    public IReadOnlyList<TaskReportEntry> Entries => _entries;

    public void Add(TaskReportEntry entry) => _entries.Add(entry);

    public IReadOnlyList<string> Render()
    {
        if (_entries.Count == 0)
            return [];
        var nameWidth = Math.Max(4, _entries.Max(e => e.Task.Length));
        var lines = new List<string>
        {
            $"{"Task".PadRight(nameWidth)}  {"Status",-9}  {"Duration",8}",
            new('-', nameWidth + 21),
        };
        foreach (var e in _entries)
        {
            var line = $"{e.Task.PadRight(nameWidth)}  {e.Status,-9}  {e.Duration.TotalSeconds,7:0.00}s";
            lines.Add(e.Reason is null ? line : $"{line}  {e.Reason}");
        }
        lines.Add($"{"Total".PadRight(nameWidth)}  {"",-9}  {_entries.Sum(e => e.Duration.TotalSeconds),7:0.00}s");
        return lines;
    }
}
