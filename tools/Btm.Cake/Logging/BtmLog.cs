using Cake.Core;
using Cake.Core.Diagnostics;

namespace Btm.Cake.Logging;

/// <summary>
/// The four verbs every BTM line starts with, padded so messages line up. Messages are passed
/// as arguments, never as format strings, so braces in paths or compiler output are safe.
/// </summary>
public static class BtmLog
{
    public static void Info(this ICakeContext context, string message) => Write(context.Log, LogLevel.Information, "info", message);

    public static void Success(this ICakeContext context, string message) => Write(context.Log, LogLevel.Information, "success", message);

    public static void Warn(this ICakeContext context, string message) => Write(context.Log, LogLevel.Warning, "warn", message);

    public static void Fail(this ICakeContext context, string message) => Write(context.Log, LogLevel.Error, "fail", message);

    public static void Detail(this ICakeContext context, string message) =>
        context.Log.Write(Verbosity.Verbose, LogLevel.Verbose, "{0}", $"        {message}");

    private static void Write(ICakeLog log, LogLevel level, string verb, string message) =>
        log.Write(Verbosity.Minimal, level, "{0}", $"{verb,-7} {message}");
}
