using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Btm.Mcp;

/// <summary>`btm mcp`: the build-synthesis service over MCP's stdio transport.</summary>
public static class McpServerHost
{
    public static async Task<int> RunStdio(string root, int concurrency, string? buildHost)
    {
        var builder = Host.CreateApplicationBuilder();
        // stdout carries the protocol: every log line goes to stderr.
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // A refused tool call is an answer to the client, not a server error worth a stack trace.
        builder.Logging.AddFilter("ModelContextProtocol.Server.McpServer", LogLevel.Critical);
        builder.Services.AddSingleton(_ => new BuildOrchestrator(root, concurrency, buildHost));
        builder.Services.AddSingleton(_ => new ComponentSynthesizer(root));
        builder.Services.AddMcpServer(o => o.ServerInfo = new() { Name = "btm", Version = "0.1.0" })
            .WithStdioServerTransport()
            .WithTools<BtmTools>()
            .WithResources<BtmResources>();
        using var host = builder.Build();
        // The orchestrator starts with the service, so builds left running are marked at once.
        var orchestrator = host.Services.GetRequiredService<BuildOrchestrator>();
        await host.RunAsync();
        orchestrator.Dispose();
        return 0;
    }
}
