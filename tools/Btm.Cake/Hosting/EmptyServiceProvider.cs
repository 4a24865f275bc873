namespace Btm.Cake.Hosting;

/// <summary>BTM tasks get their services from their typed context, not from a container.</summary>
public sealed class EmptyServiceProvider : IServiceProvider
{
    public object? GetService(Type serviceType) => null;
}
