using System.ComponentModel;
using System.Text.Json.Serialization;
using Btm.Core.Model;
using Btm.Core.Platforms;
using ModelContextProtocol;
using ModelContextProtocol.Server;

namespace Btm.Mcp;

/// <summary>The MCP tools: builds (trigger, follow, read, cancel, list) and the component graph and templates.</summary>
[McpServerToolType]
public sealed class BtmTools(BuildOrchestrator builds, ComponentSynthesizer synthesizer)
{
    public sealed record Status(
        [property: JsonPropertyName("build_id")] string BuildId,
        [property: JsonPropertyName("state")] string State,
        [property: JsonPropertyName("step")] string? Step,
        [property: JsonPropertyName("task")] string Task,
        [property: JsonPropertyName("packages")] IReadOnlyList<string> Packages,
        [property: JsonPropertyName("platforms")] IReadOnlyList<string> Platforms,
        [property: JsonPropertyName("mode")] string Mode,
        [property: JsonPropertyName("created")] DateTimeOffset Created,
        [property: JsonPropertyName("started")] DateTimeOffset? Started,
        [property: JsonPropertyName("ended")] DateTimeOffset? Ended,
        [property: JsonPropertyName("exit_code")] int? ExitCode,
        [property: JsonPropertyName("summary")] IReadOnlyList<SummaryLine> Summary,
        [property: JsonPropertyName("artifacts")] IReadOnlyList<string> Artifacts,
        [property: JsonPropertyName("log_tail")] IReadOnlyList<string> LogTail,
        [property: JsonPropertyName("log_resource")] string LogResource,
        [property: JsonPropertyName("reason")] string? Reason);

    public sealed record SummaryLine(
        [property: JsonPropertyName("package")] string Package,
        [property: JsonPropertyName("platform")] string Platform,
        [property: JsonPropertyName("stage")] string Stage,
        [property: JsonPropertyName("outcome")] string Outcome,
        [property: JsonPropertyName("detail")] string Detail);

    private static McpException Refuse(string message) => new(message);

    private static string Clip(string? value) => ComponentSynthesizer.Clip(value);

    private const int MaxListItems = 256;

    [McpServerTool(Name = "trigger_build"), Description("Queues a BTM task (Build, Test, Package, Verify, Release, Clean) and answers at once with its build id; follow it with get_build_status. Builds of one clone run one at a time; the rest queue.")]
    public object TriggerBuild(
        [Description("The task: Build (default), Test, Package, Verify, Release or Clean.")] string task = "Build",
        [Description("Package names (folders under packages/); empty: all.")] string[]? packages = null,
        [Description("Platform ids (linux-x64, linux-arm64, linux-x64-musl, linux-arm64-musl, win32-x64, darwin-x64, darwin-arm64), host or all; empty: cake.config Targets.")] string[]? platforms = null,
        [Description("dev (symbols) or prod (optimized, stripped); Release defaults to prod.")] string? mode = null,
        [Description("Rebuild every stage, ignoring checkpoints.")] bool force = false,
        [Description("Check the request and answer with the command it would run, without queueing it.")] bool dry_run = false)
    {
        var known = BuildOrchestrator.Tasks.FirstOrDefault(t => string.Equals(t, task, StringComparison.OrdinalIgnoreCase))
            ?? throw Refuse($"task '{Clip(task)}' is not one of: {string.Join(", ", BuildOrchestrator.Tasks)}");
        if (packages?.Length > MaxListItems || platforms?.Length > MaxListItems)
            throw Refuse($"{(packages?.Length > MaxListItems ? "packages" : "platforms")}: more than {MaxListItems} items; name fewer (empty means all)");
        var graph = Graph();
        for (var i = 0; i < (packages?.Length ?? 0); i++)
        {
            var p = packages![i];
            if (p is null || !graph.Contains(p))
                throw Refuse($"packages[{i}]: '{Clip(p)}' is not in packages/; known: {string.Join(", ", graph.TopologicalOrder.Select(x => x.Name).Take(50))}");
        }
        for (var i = 0; i < (platforms?.Length ?? 0); i++)
        {
            var p = platforms![i];
            if (p is null || p.Length > 32 || p is not ("host" or "all") && !PlatformId.TryParse(p, out _, out _))
                throw Refuse($"platforms[{i}]: '{Clip(p)}' is not a platform; use host, all or one of: {PlatformId.KnownList}");
        }
        var chosenMode = mode ?? (known == "Release" ? "prod" : "dev");
        if (chosenMode is not ("dev" or "prod"))
            throw Refuse($"mode '{Clip(mode)}': use dev or prod");
        if (dry_run)
        {
            var preview = new BuildRecord("(dry run)", known, packages ?? [], platforms ?? [], chosenMode, force, "DRY_RUN", null, DateTimeOffset.UtcNow,
                null, null, null, "", [], null);
            return new { dry_run = true, command = builds.Command(preview, withSummary: false) };
        }
        var build = builds.Enqueue(known, packages ?? [], platforms ?? [], chosenMode, force);
        return new { build_id = build.Id, state = build.State };
    }

    [McpServerTool(Name = "get_build_status", ReadOnly = true), Description("A build's state (QUEUED, PREPARING, RUNNING, COLLECTING_ARTIFACTS, COMPLETED_SUCCESS, COMPLETED_FAILURE, CANCELLED, INTERRUPTED), its current step, times, per-stage summary, artifact paths and the last log lines.")]
    public Status GetBuildStatus([Description("The id trigger_build answered.")] string build_id) => StatusOf(Find(build_id));

    [McpServerTool(Name = "get_build_log", ReadOnly = true), Description("A page of a build's log: lines from offset (0-based), at most limit of them, and the offset of the next page.")]
    public object GetBuildLog(string build_id, [Description("First line, 0-based.")] int offset = 0, [Description("Lines at most (1-2000).")] int limit = 200)
    {
        var build = Find(build_id);
        if (offset < 0 || limit is < 1 or > 2000)
            throw Refuse($"offset ({offset}) must be >= 0 and limit ({limit}) from 1 to 2000");
        var (page, total) = LogPage(build.LogPath, offset, limit);
        return new { build_id, offset, lines = page, next_offset = offset + page.Count, total_lines = total, state = build.State };
    }

    [McpServerTool(Name = "cancel_build", Destructive = true), Description("Cancels a build: a queued one never starts; a running one has its whole process tree ended. Answers its state after.")]
    public Status CancelBuild(string build_id)
    {
        Find(build_id);
        return StatusOf(builds.Cancel(build_id)!);
    }

    [McpServerTool(Name = "list_builds", ReadOnly = true), Description("The most recent builds, newest first, with their states.")]
    public object ListBuilds([Description("How many (1-500).")] int limit = 20) =>
        builds.Store.Recent(Math.Clamp(limit, 1, 500)).Select(b => new { build_id = b.Id, task = b.Task, state = b.State, step = b.Step, created = b.Created, ended = b.Ended }).ToList();

    [McpServerTool(Name = "list_components", ReadOnly = true), Description("The package graph: each component's name, builder, targets, binaries, dependencies and whether it is published.")]
    public object ListComponents() => Graph().TopologicalOrder.Select(p => new
    {
        name = p.Name, builder = p.Builder, description = p.Description,
        targets = p.Targets?.Select(t => t.ToString()).ToList() ?? PlatformId.ReleaseTargets.Select(t => t.ToString()).ToList(),
        binaries = p.Binaries, depends_on = p.AllDependencies, publish = p.Publish,
    }).ToList();

    [McpServerTool(Name = "list_component_types", ReadOnly = true), Description("The templates synthesize_code_component can render, with their options.")]
    public object ListComponentTypes() => synthesizer.Types();

    [McpServerTool(Name = "synthesize_code_component"), Description("Renders a component template into a folder (packages/<name> by default). The name follows btm.json's rules (lowercase, no '..' or '/', no reserved word); nothing is written when it does not, and existing files are kept unless overwrite is true. Answers the files written.")]
    public object SynthesizeCodeComponent(
        [Description("A type from list_component_types, e.g. btm-package.")] string component_type,
        [Description("The component's name: its folder, npm name and binary.")] string name,
        [Description("Template options, e.g. { \"builder\": \"make\", \"description\": \"…\" }.")] Dictionary<string, string>? options = null,
        [Description("Folder inside the repo; default packages/<name>.")] string? output_folder = null,
        [Description("Replace files that are already there.")] bool overwrite = false)
    {
        try
        {
            var files = synthesizer.Synthesize(component_type, name, options, output_folder, overwrite);
            return new { component_type, name, files };
        }
        catch (McpToolException e)
        {
            throw Refuse(e.Message);
        }
    }

    private PackageGraph Graph()
    {
        try
        {
            var settings = RepoSettingsReader.Load(Path.Combine(builds.Root, RepoSettings.FileName), RepoSettings.FileName);
            return PackageGraph.Load(builds.Root, Btm.Build.Pipeline.BuilderRegistry.Default.Specs, settings.PackageFolders);
        }
        catch (ConfigException e)
        {
            throw Refuse(e.Message);
        }
    }

    private BuildRecord Find(string id) =>
        (id is { Length: <= 64 } ? builds.Store.Get(id) : null) ?? throw Refuse($"build_id: no build '{Clip(id)}'; list_builds names them");

    /// <summary>Longest log line handed back: a tool printing megabytes on one line is cut, never loaded whole.</summary>
    private const int MaxLine = 4096;

    private static FileStream OpenLog(string path) => new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

    /// <summary>Lines [offset, offset+limit) of a log, read as a stream (only the page is kept), and how many lines it has.</summary>
    internal static (List<string> Page, int Total) LogPage(string path, int offset, int limit)
    {
        var page = new List<string>();
        if (!File.Exists(path))
            return (page, 0);
        using var reader = new StreamReader(OpenLog(path));
        var total = 0;
        var buffer = new char[MaxLine];
        while (ReadLine(reader, buffer) is { } line)
        {
            if (total >= offset && page.Count < limit)
                page.Add(line);
            total++;
        }
        return (page, total);
    }

    /// <summary>The last <paramref name="count"/> lines, read from at most the log's last 64 KiB.</summary>
    internal static List<string> LogTail(string path, int count)
    {
        if (!File.Exists(path))
            return [];
        using var stream = OpenLog(path);
        var start = Math.Max(0, stream.Length - 65536);
        stream.Seek(start, SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        var buffer = new char[MaxLine];
        if (start > 0)
            ReadLine(reader, buffer);
        while (ReadLine(reader, buffer) is { } line)
            lines.Add(line);
        return lines.Skip(Math.Max(0, lines.Count - count)).ToList();
    }

    /// <summary>A line of at most <see cref="MaxLine"/> characters (the rest of a longer one skipped, and said), or null at the end.</summary>
    private static string? ReadLine(StreamReader reader, char[] buffer)
    {
        var length = 0;
        long dropped = 0;
        int c;
        while ((c = reader.Read()) >= 0 && c != '\n')
        {
            if (length < buffer.Length)
                buffer[length++] = (char)c;
            else
                dropped++;
        }
        if (c < 0 && length == 0 && dropped == 0)
            return null;
        var line = new string(buffer, 0, length).TrimEnd('\r');
        return dropped == 0 ? line : $"{line}… ({dropped} more characters)";
    }

    private Status StatusOf(BuildRecord b)
    {
        var summary = new List<SummaryLine>();
        var summaryPath = Path.Combine(builds.BuildsDir, b.Id + ".summary.json");
        if (File.Exists(summaryPath))
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(summaryPath));
            summary.AddRange(doc.RootElement.GetProperty("stages").EnumerateArray().Select(s => new SummaryLine(s.GetProperty("package").GetString()!,
                s.GetProperty("platform").GetString()!, s.GetProperty("stage").GetString()!, s.GetProperty("outcome").GetString()!, s.GetProperty("detail").GetString()!)));
        }
        return new Status(b.Id, b.State, b.Step, b.Task, b.Packages, b.Platforms, b.Mode, b.Created, b.Started, b.Ended, b.ExitCode, summary,
            b.Artifacts, LogTail(b.LogPath, 20), $"btm://builds/{b.Id}/log", b.Reason);
    }
}

/// <summary>Each build's log and artifact list as MCP resources.</summary>
[McpServerResourceType]
public sealed class BtmResources(BuildOrchestrator builds)
{
    /// <summary>The most a log resource returns; get_build_log pages through the rest.</summary>
    public const int MaxLogBytes = 1 << 20;

    [McpServerResource(UriTemplate = "btm://builds/{id}/log", Name = "build log", MimeType = "text/plain"), Description("A build's log: the whole of it up to 1 MiB, else its last 1 MiB after a line saying so (get_build_log pages through all of it).")]
    public string Log(string id)
    {
        if ((id.Length <= 64 ? builds.Store.Get(id) : null) is not { } b)
            throw new McpException($"no build '{ComponentSynthesizer.Clip(id)}'");
        if (!File.Exists(b.LogPath))
            return "";
        using var stream = new FileStream(b.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var skipped = Math.Max(0, stream.Length - MaxLogBytes);
        stream.Seek(skipped, SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        return skipped == 0 ? text : $"[btm mcp] the first {skipped} bytes of this log are left out; get_build_log pages through all of it\n{text}";
    }

    [McpServerResource(UriTemplate = "btm://builds/{id}/artifacts", Name = "build artifacts", MimeType = "application/json"), Description("The artifact paths of a finished build.")]
    public string Artifacts(string id) =>
        (id.Length <= 64 ? builds.Store.Get(id) : null) is { } b ? System.Text.Json.JsonSerializer.Serialize(b.Artifacts) : throw new McpException($"no build '{ComponentSynthesizer.Clip(id)}'");
}
