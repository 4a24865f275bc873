using Btm.Core.Model;
using Btm.Core.Pipeline;
using Btm.Core.Platforms;
using Btm.Core.Press;

namespace Btm.Cli;

/// <summary>`btm binpress` and `btm binflate`.</summary>
public static class CommandLine
{
    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;

    private const string Usage = """
        Usage: btm <command> [options]

        Commands:
          binpress <input> -o <output> [--stub <file>] [--level <1-22>]
              Make a self-extracting compressed copy of an executable (stub + zstd payload + trailer).
              The stub defaults to this repo's bin-stub for this platform (build it with
              ./build.sh --target=Build --package=bin-stub --mode=prod).
          binflate <input> -o <output>
              Restore the byte-identical original of a compressed binary, checking both SHA-256s.

        Run `btm <command> --help` for one command.
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            stdout.WriteLine(Usage);
            return args.Length == 0 ? ExitUsage : ExitOk;
        }
        try
        {
            return args[0] switch
            {
                "binpress" => Binpress(args[1..], stdout),
                "binflate" => Binflate(args[1..], stdout),
                _ => throw new UsageError($"unknown command '{args[0]}': use binpress or binflate"),
            };
        }
        catch (UsageError e)
        {
            stderr.WriteLine($"btm: {e.Message}");
            return ExitUsage;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or DllNotFoundException)
        {
            stderr.WriteLine($"btm: {e.Message}");
            return ExitFailed;
        }
    }

    private sealed class UsageError(string message) : Exception(message);

    private static Dictionary<string, string> Parse(string[] args, string command, string help, string[] valued, out string input)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        string? positional = null;
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a is "--help" or "-h")
            {
                options["help"] = help;
                continue;
            }
            if (valued.Contains(a))
            {
                if (i + 1 >= args.Length)
                    throw new UsageError($"{command}: {a} needs a value");
                options[a] = args[++i];
            }
            else if (a.StartsWith('-'))
            {
                throw new UsageError($"{command}: unknown option {a} (see btm {command} --help)");
            }
            else if (positional is null)
            {
                positional = a;
            }
            else
            {
                throw new UsageError($"{command}: more than one input ('{positional}', '{a}')");
            }
        }
        input = positional ?? "";
        if (!options.ContainsKey("help"))
        {
            if (positional is null)
                throw new UsageError($"{command}: no input file (see btm {command} --help)");
            if (!options.ContainsKey("-o"))
                throw new UsageError($"{command}: no output: pass -o <file>");
            if (!File.Exists(positional))
                throw new UsageError($"{command}: {positional} does not exist");
        }
        return options;
    }

    private static int Binpress(string[] args, TextWriter stdout)
    {
        const string help = """
            Usage: btm binpress <input> -o <output> [--stub <file>] [--level <1-22>]
            Makes <output>: the stub, then <input> compressed with zstd (default level 19), then a
            trailer with both SHA-256s. <output> keeps <input>'s file mode and behaves like it: the
            first run extracts into $BTM_DLX_DIR (else $XDG_CACHE_HOME/btm/dlx, else ~/.cache/btm/dlx).
            """;
        var options = Parse(args, "binpress", help, ["-o", "--stub", "--level"], out var input);
        if (options.TryGetValue("help", out var text))
        {
            stdout.WriteLine(text);
            return ExitOk;
        }
        var level = Core.Press.Binpress.DefaultLevel;
        if (options.TryGetValue("--level", out var levelText) && (!int.TryParse(levelText, out level) || level < 1 || level > 22))
            throw new UsageError($"binpress: --level {levelText}: use a zstd level from 1 to 22");
        var stub = options.TryGetValue("--stub", out var s) ? s : FindStub()
            ?? throw new UsageError("binpress: no bin-stub found for this platform: build it with ./build.sh --target=Build --package=bin-stub --mode=prod, or pass --stub <file>");
        var result = Core.Press.Binpress.Compress(input, stub, options["-o"], level);
        stdout.WriteLine($"binpress: {input} ({result.OriginalSize} bytes) -> {options["-o"]} ({result.CompressedSize} bytes, " +
            $"{100.0 * result.CompressedSize / result.OriginalSize:0.0}%, stub {result.StubSize} bytes)");
        return ExitOk;
    }

    private static int Binflate(string[] args, TextWriter stdout)
    {
        const string help = """
            Usage: btm binflate <input> -o <output>
            Restores the original executable from a compressed binary. The payload's and the
            result's SHA-256 must match the trailer; <output> appears only then.
            """;
        var options = Parse(args, "binflate", help, ["-o"], out var input);
        if (options.TryGetValue("help", out var text))
        {
            stdout.WriteLine(text);
            return ExitOk;
        }
        var trailer = Core.Press.Binpress.Restore(input, options["-o"]);
        stdout.WriteLine($"binflate: {input} -> {options["-o"]} ({trailer.UncompressedSize} bytes, sha256 {Convert.ToHexStringLower(trailer.OriginalSha256)})");
        return ExitOk;
    }

    /// <summary>This checkout's bin-stub for the host platform: prod build first, then dev.</summary>
    private static string? FindStub()
    {
        var host = HostPlatform.Detect();
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, RepoSettings.FileName)))
                continue;
            return new[] { BuildMode.Prod, BuildMode.Dev }
                .Select(mode => UnitLayout.For(dir.FullName, PackageManifest.StubPackage, mode, host).ShippedBinary(PackageManifest.StubPackage))
                .FirstOrDefault(File.Exists);
        }
        return null;
    }
}
