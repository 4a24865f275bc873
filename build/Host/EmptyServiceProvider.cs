namespace Btm.Build.Host;

/// <summary>Tasks get their services from <see cref="BuildContext"/>, not from a container.</summary>
public sealed class EmptyServiceProvider : IServiceProvider
{
    public object? GetService(Type serviceType) => null;
}
