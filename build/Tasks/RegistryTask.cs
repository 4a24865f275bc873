using Btm.Build.Host;
using Btm.Build.Publishing;
using Btm.Cake.Logging;

namespace Btm.Build.Tasks;

[TaskName("Registry")]
[TaskDescription("Serves the local registry (artifacts/registry) in the foreground until interrupted, so releases can be installed; --reset empties it first")]
public sealed class RegistryTask : BtmTask
{
    public override void Run(BuildContext context)
    {
        using var registry = LocalRegistry.Start(context, LocalRegistryUrl.Port, context.Options.Reset);
        using var stopped = new ManualResetEventSlim();
        // Ctrl+C and SIGTERM are this task's way to stop: verdaccio goes down with it, the run succeeds.
        using var graceful = Interruption.Graceful(stopped.Set);
        context.Success($"serving {registry.Url} (storage {Path.GetRelativePath(context.RepoRoot, registry.StorageRoot)}); Ctrl+C stops it");
        context.Info($"install a release: npm install <@scope/name> --registry {registry.Url}");
        stopped.Wait();
        context.Info("stopping the local registry");
    }
}
