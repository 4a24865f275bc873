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
    public static (CakeContext Context, ICakeDataService Data) Create(string workingDirectory, Verbosity verbosity, IEnumerable<string> arguments)
    {
        var environment = new CakeEnvironment(new CakePlatform(), new CakeRuntime()) { WorkingDirectory = workingDirectory };
        var fileSystem = new FileSystem();
        var log = new CakeBuildLog(new CakeConsole(environment), verbosity);
        var globber = new Globber(fileSystem, environment);
        var configuration = new CakeConfigurationProvider(fileSystem, environment)
            .CreateConfiguration(workingDirectory, new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase));
        var toolLocator = new ToolLocator(environment, new ToolRepository(environment),
            new ToolResolutionStrategy(fileSystem, environment, globber, configuration, log));
        var data = new CakeDataService();
        var context = new CakeContext(fileSystem, environment, globber, log,
            new CakeArguments(arguments.ToLookup(a => a, a => a)),
            new ProcessRunner(fileSystem, environment, log, toolLocator, configuration),
            new WindowsRegistry(), toolLocator, data, configuration, new NoToolInstaller(), new EmptyServiceProvider());
        return (context, data);
    }
}
