using Cake.Core;
using Cake.Core.Configuration;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Btm.Cake.Hosting;

/// <summary>
/// A real Cake context (file system, environment, process runner, tool locator, cake.config)
/// without Cake's script host: what Frosting builds, for our host and for tests.
/// </summary>
public static class CakeContextFactory
{
    /// <param name="arguments">Parsed options, name to value (flags as "true"), so Cake's own
    /// argument API (<c>HasArgument("force")</c>, <c>Argument&lt;int&gt;("jobs")</c>) answers as in a script.</param>
    public static (CakeContext Context, ICakeDataService Data) Create(string workingDirectory, Verbosity verbosity,
        IEnumerable<KeyValuePair<string, string>> arguments)
    {
        var environment = new CakeEnvironment(new CakePlatform(), new CakeRuntime()) { WorkingDirectory = workingDirectory };
        var fileSystem = new FileSystem();
        var console = new ColourPolicyConsole(new CakeConsole(environment),
            ColourPolicyConsole.Wanted(Environment.GetEnvironmentVariable, !Console.IsOutputRedirected));
        var log = new CakeBuildLog(console, verbosity);
        var globber = new Globber(fileSystem, environment);
        // Cake's default tools folder is ./tools, which in this repo holds our sources: the locator
        // would glob through them for every program it resolves.
        var configuration = new CakeConfigurationProvider(fileSystem, environment)
            .CreateConfiguration(workingDirectory, new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            {
                ["Paths_Tools"] = System.IO.Path.Combine(workingDirectory, ".btm", "cake-tools"),
            });
        var toolLocator = new ToolLocator(environment, new ToolRepository(environment),
            new ToolResolutionStrategy(fileSystem, environment, globber, configuration, log));
        var data = new CakeDataService();
        var context = new CakeContext(fileSystem, environment, globber, log,
            new CakeArguments(arguments.ToLookup(a => a.Key, a => a.Value, StringComparer.OrdinalIgnoreCase)),
            new ProcessRunner(fileSystem, environment, log, toolLocator, configuration),
            new WindowsRegistry(), toolLocator, data, configuration, new NoToolInstaller(), new EmptyServiceProvider());
        return (context, data);
    }
}
