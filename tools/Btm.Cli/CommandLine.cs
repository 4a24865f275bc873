using Btm.Core.Model;
using Btm.Core.Pipeline;
using Btm.Core.Platforms;
using Btm.Core.Press;

namespace Btm.Cli;

/// <summary>`btm binpress`, `btm binflate` and `btm binject`.</summary>
public static class CommandLine
{
    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;

    private const string Usage = """
        Usage: btm <command> [options]

        Commands:
          binpress <input> -o <output> [--stub <file> | --target-platform <id>] [--level <1-22>]
              Make a self-extracting compressed copy of an executable (stub + zstd payload + trailer)
              for any of the seven targets. The stub matches the input's platform: a BTM repo's own
              build inside one, else the one this package carries.
          binflate <input> -o <output>
              Restore the byte-identical original of a compressed binary, checking both SHA-256s.
          binject <binary> --resource NAME=FILE … [--sentinel-fuse FUSE] [--macho-segment SEG] -o <output>
          binject --list <binary>
              Put resources into an ELF, PE or Mach-O executable where Node's single-executable
              reader finds them (a Node SEA blob, say); list what one carries.
          psp verify|inspect|extract <package> --key <public key> [-o <folder>]
              Check a signed self-contained package (launcher, metadata, slots, signed index) against
              the keys given; print its metadata and slots; extract its slots.
          mcp [--root <repo>] [--concurrency <n>] [--host <Btm.Build.dll>] [--http <address:port>]
              Serve builds and scaffolding to agents over MCP (stdio): trigger_build, get_build_status,
              get_build_log, cancel_build, list_builds, list_components, list_component_types,
              synthesize_code_component; build logs as btm://builds/{id}/log.

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
                "binject" => Binject(args[1..], stdout),
                "mcp" => Mcp(args[1..], stdout),
                "psp" => PspCommand.Run(args[1..], stdout),
                _ => throw new UsageError($"unknown command '{args[0]}': use binpress, binflate, binject, psp or mcp"),
            };
        }
        catch (UsageError e)
        {
            stderr.WriteLine($"btm: {e.Message}");
            return ExitUsage;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or Core.Inject.InjectException or Core.BuildFailedException)
        {
            stderr.WriteLine($"btm: {e.Message}");
            return ExitFailed;
        }
    }

    internal sealed class UsageError(string message) : Exception(message);

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
            var outputFolder = Path.GetDirectoryName(Path.GetFullPath(options["-o"]))!;
            if (!Directory.Exists(outputFolder))
                throw new UsageError($"{command}: -o {options["-o"]}: the folder {outputFolder} does not exist (create it, or write the output elsewhere)");
        }
        return options;
    }

    private static int Binpress(string[] args, TextWriter stdout)
    {
        const string help = """
            Usage: btm binpress <input> -o <output> [--stub <file> | --target-platform <id>] [--level <1-22>]
            Makes <output>: the stub, then <input> compressed with zstd (default level 19), then a
            trailer with both SHA-256s. The stub is the bin-stub built for <input>'s platform (read
            from its headers, or --target-platform): the BTM repo's own build when run inside one,
            else the stub this btm package carries for each of the seven targets. <output> keeps <input>'s file mode and behaves like it: the
            first run extracts into $BTM_DLX_DIR (else $XDG_CACHE_HOME/btm/dlx, else ~/.cache/btm/dlx);
            on Linux every run then loads that copy into its own process, so /proc/self/exe is still
            <output> (BTM_DLX_TRACE=1 says how it ran, BTM_DLX_EXEC=1 executes the copy instead).
            """;
        var options = Parse(args, "binpress", help, ["-o", "--stub", "--target-platform", "--level"], out var input);
        if (options.TryGetValue("help", out var text))
        {
            stdout.WriteLine(text);
            return ExitOk;
        }
        var level = Core.Press.Binpress.DefaultLevel;
        if (options.TryGetValue("--level", out var levelText) && (!int.TryParse(levelText, out level) || level < 1 || level > 22))
            throw new UsageError($"binpress: --level {levelText}: use a zstd level from 1 to 22");
        if (options.ContainsKey("--stub") && options.ContainsKey("--target-platform"))
            throw new UsageError("binpress: --stub and --target-platform both choose the stub: pass one");
        string stub;
        try
        {
            stub = options.TryGetValue("--stub", out var s) ? s : StubLocator.Find(input, options.GetValueOrDefault("--target-platform"));
        }
        catch (ArgumentException e)
        {
            throw new UsageError($"binpress: {e.Message}");
        }
        var result = Core.Press.Binpress.Compress(input, stub, options["-o"], level);
        stdout.WriteLine($"binpress: {input} ({result.OriginalSize} bytes) -> {options["-o"]} ({result.CompressedSize} bytes, " +
            $"{100.0 * result.CompressedSize / result.OriginalSize:0.0}%, stub {result.StubSize} bytes)");
        return ExitOk;
    }

    private static int Binject(string[] args, TextWriter stdout)
    {
        const string help = """
            Usage: btm binject <binary> --resource NAME=FILE [--resource …] [--sentinel-fuse FUSE] [--macho-segment SEG] -o <output>
                   btm binject --list <binary>
            Writes <output>: <binary> with each FILE's bytes as resource NAME where Node's single-executable
            reader (postject's API) finds it: an ELF note in a new PT_NOTE segment, a PE RT_RCDATA
            resource, or a section of a Mach-O segment (__POSTJECT unless --macho-segment), with a new
            ad-hoc signature. A NAME already there is replaced. --sentinel-fuse flips FUSE:0 to FUSE:1
            (for a Node SEA: NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2). See docs/binject.md.
            """;
        if (args.Length >= 1 && args[0] == "--list")
        {
            if (args.Length != 2)
                throw new UsageError("binject --list: give one binary");
            if (!File.Exists(args[1]))
                throw new UsageError($"binject --list: {args[1]} does not exist");
            var list = Core.Inject.Binject.List(args[1]);
            foreach (var r in list)
                stdout.WriteLine($"{r.Name}\t{r.Size}\tsha256:{r.Sha256}\t{r.Where}");
            if (list.Count == 0)
                stdout.WriteLine($"binject: {args[1]} carries no resources");
            return ExitOk;
        }
        var resources = new List<Core.Inject.InjectedResource>();
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] != "--resource")
            {
                rest.Add(args[i]);
                continue;
            }
            if (i + 1 >= args.Length)
                throw new UsageError("binject: --resource needs NAME=FILE");
            var spec = args[++i];
            var eq = spec.IndexOf('=');
            if (eq <= 0 || eq == spec.Length - 1)
                throw new UsageError($"binject: --resource {spec}: write it as NAME=FILE");
            var file = spec[(eq + 1)..];
            if (!File.Exists(file))
                throw new UsageError($"binject: --resource {spec}: {file} does not exist");
            resources.Add(new Core.Inject.InjectedResource(spec[..eq], File.ReadAllBytes(file)));
        }
        var options = Parse([.. rest], "binject", help, ["-o", "--sentinel-fuse", "--macho-segment"], out var input);
        if (options.TryGetValue("help", out var text))
        {
            stdout.WriteLine(text);
            return ExitOk;
        }
        var format = Core.Inject.Binject.Inject(input, options["-o"], resources, options.GetValueOrDefault("--sentinel-fuse"),
            new Core.Inject.InjectOptions(options.GetValueOrDefault("--macho-segment") ?? "__POSTJECT"));
        stdout.WriteLine($"binject: {input} -> {options["-o"]} ({format}; {string.Join(", ", resources.Select(r => $"{r.Name} {r.Data.Length} bytes"))})");
        return ExitOk;
    }

    private static int Mcp(string[] args, TextWriter stdout)
    {
        string? root = null;
        string? host = null;
        string? http = null;
        var allowRemote = false;
        var allowedHosts = new List<string>();
        var concurrency = 2;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--root" when i + 1 < args.Length:
                    root = Path.GetFullPath(args[++i]);
                    break;
                case "--http" when i + 1 < args.Length:
                    http = args[++i];
                    break;
                case "--allow-remote":
                    allowRemote = true;
                    break;
                case "--allow-host" when i + 1 < args.Length:
                    allowedHosts.Add(args[++i]);
                    break;
                case "--host" when i + 1 < args.Length:
                    host = Path.GetFullPath(args[++i]);
                    break;
                case "--concurrency" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n is >= 1 and <= 64:
                    concurrency = n;
                    i++;
                    break;
                case "--help" or "-h":
                    stdout.WriteLine("Usage: btm mcp [--root <repo>] [--concurrency <1-64>] [--host <Btm.Build.dll>] [--http <address:port> [--allow-remote] [--allow-host <name>]...]\nServes the repo's builds over MCP on stdin/stdout, or streamable HTTP at http://<address:port>/mcp with the bearer token in BTM_MCP_TOKEN (at least 32 bytes; a 64-hex-digit one is made and printed when unset); loopback only unless --allow-remote. Requests whose Host or Origin is not a loopback name (or an --allow-host name) are refused. State in <repo>/.btm/service.db.");
                    return ExitOk;
                default:
                    throw new UsageError($"mcp: unknown or incomplete option {args[i]} (see btm mcp --help)");
            }
        }
        root ??= RepoRoot() ?? throw new UsageError("mcp: not inside a BTM repo (no cake.config above here): pass --root <repo>");
        if (!File.Exists(Path.Combine(root, RepoSettings.FileName)))
            throw new UsageError($"mcp: {root} has no {RepoSettings.FileName}: pass the repo's root");
        if (http is null)
            return global::Btm.Mcp.McpServerHost.RunStdio(root, concurrency, host).GetAwaiter().GetResult();
        if (!System.Net.IPEndPoint.TryParse(http, out var endpoint) || endpoint.Port == 0)
            throw new UsageError($"mcp: --http {http}: give an address and port, e.g. 127.0.0.1:8931");
        // An IPv4 address written as IPv6 (::ffff:127.0.0.1) is that IPv4 address: checked and bound as one.
        if (endpoint.Address.IsIPv4MappedToIPv6)
            endpoint = new System.Net.IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port);
        if (!System.Net.IPAddress.IsLoopback(endpoint.Address) && !allowRemote)
            throw new UsageError($"mcp: --http {http} is not a loopback address; the service runs builds for whoever holds the token, so pass --allow-remote to mean it");
        if (allowedHosts.Count > 0 && !allowRemote)
            throw new UsageError("mcp: --allow-host names hosts that reach the service from elsewhere: it needs --allow-remote");
        var token = Environment.GetEnvironmentVariable("BTM_MCP_TOKEN");
        if (string.IsNullOrEmpty(token))
        {
            token = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            Console.Error.WriteLine($"btm mcp: no BTM_MCP_TOKEN set; this run's token: {token}");
        }
        else if (System.Text.Encoding.UTF8.GetByteCount(token) < global::Btm.Mcp.McpServerHost.MinTokenBytes)
        {
            var least = global::Btm.Mcp.McpServerHost.MinTokenBytes;
            throw new UsageError($"mcp: BTM_MCP_TOKEN is {System.Text.Encoding.UTF8.GetByteCount(token)} bytes; a token must be at least {least} " +
                "(e.g. openssl rand -hex 32), or leave it unset for one made for this run");
        }
        return global::Btm.Mcp.McpServerHost.RunHttp(root, concurrency, host, endpoint, token, allowedHosts, Console.Error).GetAwaiter().GetResult();
    }

    private static string? RepoRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, RepoSettings.FileName)))
                return dir.FullName;
        }
        return null;
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
}
