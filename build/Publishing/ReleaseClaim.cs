using Btm.Core;
using Btm.Core.IO;
using Btm.Core.Release;

namespace Btm.Build.Publishing;

/// <summary>
/// Publishing the claim package's version decides which run holds the release. Already there at
/// preflight, an earlier run holds it and this run completes that release (<see cref="Repair"/>);
/// appearing during this run, a concurrent run holds it and this run stops.
/// </summary>
public static class ReleaseClaim
{
    public static async Task TakeAsync(PublishRun run, HashSet<ManifestPackage> toPublish)
    {
        if (Repair.CompletesEarlierRelease(run, toPublish))
            return;
        FaultPoints.Hit($"publish.before:{run.Claim.Name}");
        bool mine;
        try
        {
            mine = await Uploads.PublishOneAsync(run, run.Claim);
        }
        catch (BuildFailedException e)
        {
            run.Report.Set(run.Claim.Name, PublishOutcome.Failed, e.Message);
            throw;
        }
        if (!mine)
        {
            throw new ReleaseTakenOverException(
                $"another run published {run.Claim.Name}@{run.Version} while this run was publishing, so that run holds release {run.Version}: " +
                $"this run stops and undoes nothing (what it published has the same bytes and is part of that release); " +
                $"run Publish again once that run has ended to check the result");
        }
        run.Holder = true;
    }
}

/// <summary>Another run holds this release, or a later release took over the tag: this run stops and undoes nothing.</summary>
public sealed class ReleaseTakenOverException(string message) : PublishException(message);
