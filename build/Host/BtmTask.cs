namespace Btm.Build.Host;

/// <summary>A stage of the build graph, in the style of Cake Frosting's FrostingTask.</summary>
public abstract class BtmTask
{
    public abstract void Run(BuildContext context);

    /// <summary>Decides whether to run; a skip must give a reason a person can act on.</summary>
    public virtual RunDecision ShouldRun(BuildContext context) => RunDecision.Run;
}
