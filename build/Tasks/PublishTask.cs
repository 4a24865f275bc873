using Btm.Build.Host;
using Btm.Build.Publishing;
using Btm.Build.Release;
using Btm.Cake.Logging;
using Btm.Core.Release;
using Cake.Core.Diagnostics;

namespace Btm.Build.Tasks;

[TaskName("Publish")]
[TaskDescription("Publishes artifacts/<version>/npm all-or-nothing to --registry (default: a local verdaccio), then moves --tag")]
public sealed class PublishTask : AsyncBtmTask
{
    public override async Task RunAsync(BuildContext context)
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
        if (manifest.Partial.Count > 0)
        {
            var list = string.Join("; ", manifest.Partial.Select(m => $"{m.Key} lacks {string.Join(", ", m.Value)}"));
            if (!options.Partial)
                throw new UsageException($"{ReleaseManifest.FileName} is a partial release ({list}); its versions could never gain those platforms. " +
                    "Fix: package every declared platform (--platform=all), or pass --partial to Publish too, to publish it as it is");
            context.Warn($"PUBLISHING A PARTIAL RELEASE (--partial): {list}");
        }

        using var localRegistry = local ? LocalRegistry.Start(context) : null;
        var url = localRegistry?.Url ?? options.Registry;
        var token = Environment.GetEnvironmentVariable("NPM_TOKEN") is { Length: > 0 } t ? t : localRegistry?.Token(context);
        if (localRegistry is not null)
            context.Info($"local registry {url} (storage {Path.GetRelativePath(context.RepoRoot, localRegistry.StorageRoot)})");
        using var credentials = new NpmCredentials(url, token);
        using var client = new RegistryClient(url, token);
        var run = new PublishRun(context, releaseDir, manifest, client, credentials, options.Tag, options.DryRun, options.Registry);
        try
        {
            await Publisher.RunAsync(run);
        }
        finally
        {
            foreach (var line in run.Report.Render())
                context.Log.Write(Verbosity.Minimal, LogLevel.Information, "{0}", line);
        }
        if (options.DryRun)
            return;
        var released = manifest.Packages.Where(p => p.Kind == ManifestPackage.WrapperKind).ToList();
        var wrappers = released.Select(p => p.Name).ToList();
        // Each package has its own version (btm.json "version", else cake.config's), so each is named with it.
        context.Success($"released to {url} on {options.Tag}: {string.Join(", ", released.Select(p => $"{p.Name}@{p.Version}"))}");
        if (local)
        {
            context.Info("serve it: ./build.sh --target=Registry, then in any folder: " +
                $"npm install {wrappers.FirstOrDefault() ?? "<package>"} --registry {LocalRegistryUrl.Default}");
        }
    }
}
