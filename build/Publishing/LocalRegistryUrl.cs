namespace Btm.Build.Publishing;

/// <summary>Where --target=Registry serves the local registry: verdaccio's usual port, or BTM_REGISTRY_PORT.</summary>
public static class LocalRegistryUrl
{
    public static int Port => int.TryParse(Environment.GetEnvironmentVariable("BTM_REGISTRY_PORT"), out var p) ? p : 4873;

    public static string Default => $"http://127.0.0.1:{Port}";
}
