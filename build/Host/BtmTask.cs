namespace Btm.Build.Host;

/// <summary>A stage of the build graph, in the style of Cake Frosting's FrostingTask and AsyncFrostingTask.</summary>
public abstract class BtmTaskBase
{
    /// <summary>Decides whether to run; a skip must give a reason a person can act on.</summary>
    public virtual RunDecision ShouldRun(BuildContext context) => RunDecision.Run;

    internal abstract Task ExecuteAsync(BuildContext context);
}

/// <summary>A task whose work is synchronous.</summary>
public abstract class BtmTask : BtmTaskBase
{
    public abstract void Run(BuildContext context);

    internal sealed override Task ExecuteAsync(BuildContext context)
    {
        Run(context);
        return Task.CompletedTask;
    }
}

/// <summary>A task that mostly waits on the network: async all the way down, so Cake's engine awaits it.</summary>
public abstract class AsyncBtmTask : BtmTaskBase
{
    public abstract Task RunAsync(BuildContext context);

    internal sealed override Task ExecuteAsync(BuildContext context) => RunAsync(context);
}
