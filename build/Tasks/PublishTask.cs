using Btm.Build.Host;
using Btm.Build.Publishing;
using Btm.Build.Release;
using Btm.Cake.Logging;
using Btm.Core.Release;
using Cake.Core.Diagnostics;

namespace Btm.Build.Tasks;

[TaskName("Publish")]
[TaskDescription("Publishes artifacts/<version>/npm all-or-nothing to --registry (default: a local verdaccio), then moves --tag")]
public sealed class PublishTask : BtmTask
{
    public override void Run(BuildContext context)
    {
        var options = context.Options;
        var local = options.Registry == "local";
        var releaseDir = ReleasePaths.ReleaseDir(context);
        // A real registry gets signed releases only; the local one is a rehearsal.
        var requireSignature = !options.AllowUnsigned && (context.Settings.TrustedKeys.Count > 0 || !local);
        var verified = ReleaseVerifier.Verify(releaseDir, SigningKey.Trusted(context), requireSignature);
        foreach (var note in verified.Notes)
            context.Warn(note);
        if (!verified.Ok)
        {
            foreach (var problem in verified.Problems)
                context.Fail(problem);
            throw new PublishException($"preflight: {Path.GetRelativePath(context.RepoRoot, releaseDir)} does not verify; nothing was published");
        }
        var manifest = verified.Manifest!;

        using var localRegistry = local ? LocalRegistry.Start(context) : null;
        var url = localRegistry?.Url ?? options.Registry;
        var token = Environment.GetEnvironmentVariable("NPM_TOKEN") is { Length: > 0 } t ? t : localRegistry?.Token(context);
        if (localRegistry is not null)
            context.Info($"local registry {url} (storage {Path.GetRelativePath(context.RepoRoot, localRegistry.StorageRoot)})");
        using var credentials = new NpmCredentials(url, token);
        using var client = new RegistryClient(url, token);
        var publisher = new Publisher(context, releaseDir, manifest, client, credentials, options.Tag, options.DryRun, options.Registry);
        try
        {
            publisher.Run();
        }
        finally
        {
            foreach (var line in publisher.Report.Render())
                context.Log.Write(Verbosity.Minimal, LogLevel.Information, "{0}", line);
        }
        if (options.DryRun)
            return;
        var wrappers = manifest.Packages.Where(p => p.Kind == ManifestPackage.WrapperKind).Select(p => p.Name).ToList();
        context.Success($"released {manifest.Version} to {url}: {string.Join(", ", wrappers)} on {options.Tag}");
        if (local)
        {
            context.Info("serve it: ./build.sh --target=Registry, then in any folder: " +
                $"npm install {wrappers.FirstOrDefault() ?? "<package>"} --registry {LocalRegistryUrl.Default}");
        }
    }
}
