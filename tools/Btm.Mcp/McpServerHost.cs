using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Btm.Mcp;

/// <summary>`btm mcp`: the build-synthesis service over MCP, on stdio or streamable HTTP.</summary>
public static class McpServerHost
{
    private static void Configure(IServiceCollection services, ILoggingBuilder logging, string root, int concurrency, string? buildHost)
    {
        // stdout may carry the protocol: every log line goes to stderr.
        logging.ClearProviders();
        logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        logging.SetMinimumLevel(LogLevel.Warning);
        // A refused tool call is an answer to the client, not a server error worth a stack trace.
        logging.AddFilter("ModelContextProtocol.Server.McpServer", LogLevel.Critical);
        services.AddSingleton(_ => new BuildOrchestrator(root, concurrency, buildHost));
        services.AddSingleton(_ => new ComponentSynthesizer(root));
    }

    public static async Task<int> RunStdio(string root, int concurrency, string? buildHost)
    {
        var builder = Host.CreateApplicationBuilder();
        Configure(builder.Services, builder.Logging, root, concurrency, buildHost);
        builder.Services.AddMcpServer(o => o.ServerInfo = new() { Name = "btm", Version = "0.1.0" })
            .WithStreamServerTransport(new BoundedLineStream(Console.OpenStandardInput()), Console.OpenStandardOutput())
            .WithTools<BtmTools>().WithResources<BtmResources>()
            .WithRequestFilters(f => f.AddCallToolFilter(ToolArguments.Filter));
        using var host = builder.Build();
        // The orchestrator starts with the service, so builds left running are marked at once.
        var orchestrator = host.Services.GetRequiredService<BuildOrchestrator>();
        await host.RunAsync();
        orchestrator.Dispose();
        return 0;
    }

    /// <summary>The shortest bearer token accepted (the MCP security guidance: long random tokens).</summary>
    public const int MinTokenBytes = 32;

    /// <summary>The largest request body read: a tool call is small; a bigger one is refused before it is parsed.</summary>
    public const long MaxRequestBytes = 1 << 20;

    /// <summary>Host names a loopback service answers to: anything else in Host or Origin is a rebinding attempt.</summary>
    private static readonly string[] LoopbackNames = ["localhost", "127.0.0.1", "[::1]", "::1"];

    /// <summary>
    /// Streamable HTTP at http://&lt;listen&gt;/mcp; every request needs <c>Authorization: Bearer &lt;token&gt;</c>
    /// and a Host (and Origin, when sent) naming a loopback name or one of <paramref name="allowedHosts"/>.
    /// </summary>
    public static async Task<int> RunHttp(string root, int concurrency, string? buildHost, IPEndPoint listen, string token,
        IReadOnlyList<string> allowedHosts, TextWriter stderr)
    {
        var builder = WebApplication.CreateBuilder();
        Configure(builder.Services, builder.Logging, root, concurrency, buildHost);
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(listen);
            k.Limits.MaxRequestBodySize = MaxRequestBytes;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
        });
        var names = LoopbackNames.Concat(allowedHosts).ToHashSet(StringComparer.OrdinalIgnoreCase);
        bool Allowed(string? host) => host is not null && names.Contains(StripPort(host));
        builder.Services.AddMcpServer(o => o.ServerInfo = new() { Name = "btm", Version = "0.1.0" })
            .WithHttpTransport().WithTools<BtmTools>().WithResources<BtmResources>()
            .WithRequestFilters(f => f.AddCallToolFilter(ToolArguments.Filter));
        await using var app = builder.Build();
        var expected = System.Text.Encoding.UTF8.GetBytes("Bearer " + token);
        app.Use(async (context, next) =>
        {
            // DNS rebinding: a browser page whose name now points here sends its own Host and Origin.
            var origin = context.Request.Headers.Origin.ToString();
            if (!Allowed(context.Request.Host.Value) || origin.Length > 0 && !(Uri.TryCreate(origin, UriKind.Absolute, out var o) && Allowed(o.Authority)))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsync("btm mcp: Host or Origin is not this service's (a loopback name, or one given with --allow-host)\n");
                return;
            }
            var given = System.Text.Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString());
            if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(given, expected))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return;
            }
            await next(context);
        });
        app.MapMcp("/mcp");
        var orchestrator = app.Services.GetRequiredService<BuildOrchestrator>();
        await app.StartAsync();
        stderr.WriteLine($"btm mcp: serving http://{listen}/mcp (bearer token required)");
        await app.WaitForShutdownAsync();
        orchestrator.Dispose();
        return 0;
    }

    /// <summary>"localhost:8931" → "localhost"; "[::1]:8931" → "[::1]".</summary>
    private static string StripPort(string authority)
    {
        var colon = authority.LastIndexOf(':');
        return colon > 0 && !authority.EndsWith(']') && authority[(colon + 1)..].All(char.IsAsciiDigit) ? authority[..colon] : authority;
    }
}
