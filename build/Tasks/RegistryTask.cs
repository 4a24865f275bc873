using Btm.Build.Host;
using Btm.Build.Publishing;
using Btm.Cake.Logging;

namespace Btm.Build.Tasks;

[TaskName("Registry")]
[TaskDescription("Serves the local registry (artifacts/registry) in the foreground until interrupted, so releases can be installed")]
public sealed class RegistryTask : BtmTask
{
    public override void Run(BuildContext context)
    {
        using var registry = LocalRegistry.Start(context, LocalRegistryUrl.Port);
        using var stopped = new ManualResetEventSlim();
        // Ctrl+C and SIGTERM stop verdaccio with us instead of leaving it running orphaned.
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stopped.Set(); };
        Console.CancelKeyPress += onCancel;
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stopped.Set(); });
        context.Success($"serving {registry.Url} (storage {Path.GetRelativePath(context.RepoRoot, registry.StorageRoot)}); Ctrl+C stops it");
        context.Info($"install a release: npm install <@scope/name> --registry {registry.Url}");
        stopped.Wait();
        Console.CancelKeyPress -= onCancel;
        context.Info("stopping the local registry");
    }
}
