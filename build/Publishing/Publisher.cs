using Btm.Cake.Logging;
using Btm.Core;

namespace Btm.Build.Publishing;

/// <summary>
/// All-or-nothing publishing of one release (docs/publishing.md): <see cref="Preflight"/> before
/// anything is written; platform packages in parallel under this run's own tag (<see cref="Uploads"/>);
/// the claim only once every platform package is confirmed (<see cref="ReleaseClaim"/>); the
/// other wrappers; the public tag moved last under a marker that concurrent runs check before
/// every tag write (<see cref="TagMoves"/>). A failure undoes only what this run wrote, or, when
/// it holds the claim, everything of this version with these bytes (<see cref="Rollback"/>); a
/// re-run completes what a stopped run began (<see cref="Repair"/>).
/// </summary>
public static class Publisher
{
    public static async Task RunAsync(PublishRun run)
    {
        foreach (var p in run.Platforms.Concat(run.Wrappers))
            run.Report.Set(p.Name, PublishOutcome.NotPublished);
        var toPublish = await Preflight.CheckAsync(run);
        if (run.DryRun)
        {
            Preflight.DryRun(run, toPublish);
            return;
        }
        try
        {
            await Uploads.PublishAllAsync(run, run.Platforms.Where(toPublish.Contains).ToList());
            await Uploads.ConfirmAsync(run, run.Platforms);
            await ReleaseClaim.TakeAsync(run, toPublish);
            await Uploads.PublishAllAsync(run, run.Wrappers.Where(p => toPublish.Contains(p) && p != run.Claim).ToList());
            await Uploads.ConfirmAsync(run, run.Wrappers);
            Uploads.InstallFromRegistry(run);
            await TagMoves.MoveAsync(run);
        }
        catch (ReleaseTakenOverException e)
        {
            // Another run owns what happens next; undoing anything here could break its release.
            run.Context.Fail(e.Message);
            PublishJournal.Clear(run.Context);
            throw;
        }
        catch (Exception e)
        {
            var reason = PublishRun.FirstLine(e);
            run.Context.Fail($"publishing failed: {reason}");
            await Rollback.RunAsync(run, reason);
            PublishJournal.Clear(run.Context);
            if (e is not BuildFailedException)
                throw;
            throw new PublishException($"release {run.Version} was not published: {reason}");
        }
        PublishJournal.Clear(run.Context);
        await TagMoves.TidyAsync(run);
    }
}
