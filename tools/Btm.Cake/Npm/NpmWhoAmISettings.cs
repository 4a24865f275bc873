namespace Btm.Cake.Npm;

/// <summary>Settings for <c>npm whoami</c>: proves the registry accepts the credentials.</summary>
public sealed class NpmWhoAmISettings : NpmSettings;
