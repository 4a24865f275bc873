namespace Btm.Build.Host;

/// <summary>The command line is wrong; the message says what to type instead.</summary>
public sealed class UsageException(string message) : Exception(message);
