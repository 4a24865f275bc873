namespace Btm.Core.Platforms;

/// <summary>A build target named with npm's own os/cpu words: <c>&lt;os&gt;-&lt;cpu&gt;[-musl]</c>.</summary>
public sealed record PlatformId(string Os, string Cpu, bool Musl)
{
    public static readonly IReadOnlyList<string> KnownOs = ["linux", "darwin", "win32"];
    public static readonly IReadOnlyList<string> KnownCpu = ["x64", "arm64"];

    /// <summary>Every id the model accepts, in a stable order, for error messages and docs.</summary>
    public static IReadOnlyList<PlatformId> All { get; } =
    [
        new("linux", "x64", false), new("linux", "arm64", false),
        new("linux", "x64", true), new("linux", "arm64", true),
        new("darwin", "x64", false), new("darwin", "arm64", false),
        new("win32", "x64", false), new("win32", "arm64", false),
    ];

    /// <summary>npm's <c>libc</c> field: only Linux packages carry it.</summary>
    public string? Libc => Os == "linux" ? (Musl ? "musl" : "glibc") : null;

    public string ExecutableSuffix => Os == "win32" ? ".exe" : "";

    public override string ToString() => Musl ? $"{Os}-{Cpu}-musl" : $"{Os}-{Cpu}";

    public static bool TryParse(string? text, out PlatformId id, out string error)
    {
        id = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "a platform id is empty";
            return false;
        }
        var parts = text.Split('-');
        if (parts.Length is < 2 or > 3)
        {
            error = $"'{text}' is not of the form <os>-<cpu>[-musl]";
            return false;
        }
        if (!KnownOs.Contains(parts[0]))
        {
            error = $"'{text}' has unknown os '{parts[0]}' (known: {string.Join(", ", KnownOs)})";
            return false;
        }
        if (!KnownCpu.Contains(parts[1]))
        {
            error = $"'{text}' has unknown cpu '{parts[1]}' (known: {string.Join(", ", KnownCpu)})";
            return false;
        }
        var musl = false;
        if (parts.Length == 3)
        {
            if (parts[2] != "musl" || parts[0] != "linux")
            {
                error = $"'{text}' has suffix '{parts[2]}': only linux ids take the suffix -musl";
                return false;
            }
            musl = true;
        }
        id = new PlatformId(parts[0], parts[1], musl);
        error = "";
        return true;
    }

    public static PlatformId Parse(string text) =>
        TryParse(text, out var id, out var error) ? id : throw new FormatException(error);

    /// <summary>
    /// The seven targets a release ships by default (every known one but win32-arm64, which no
    /// toolchain here builds): what --platform=all means for a package without "targets".
    /// </summary>
    public static IReadOnlyList<PlatformId> ReleaseTargets { get; } =
    [
        new("linux", "x64", false), new("linux", "x64", true), new("linux", "arm64", false), new("linux", "arm64", true),
        new("win32", "x64", false), new("darwin", "x64", false), new("darwin", "arm64", false),
    ];

    public static string KnownList => string.Join(", ", All);
}
