using Btm.Cake.Logging;
using Btm.Core;
using Btm.Core.Model;
using Cake.Core;

namespace Btm.Build.Host;

/// <summary>
/// The error model: a <see cref="BuildFailedException"/> (exit 1) or <see cref="ConfigException"/>
/// (exit 2) is printed as its message, which says what to do. I/O errors (a full disk, a
/// permission) name their path and are the machine's, not ours. Anything else is a bug in BTM:
/// its stack trace is printed with one line saying so.
/// </summary>
public static class FailureReport
{
    public static int Print(ICakeContext context, Exception thrown)
    {
        var error = Unwrap(thrown);
        switch (error)
        {
            case ConfigException or UsageException:
                context.Fail(error.Message);
                return BuildHost.ExitUsage;
            case BuildFailedException:
                context.Fail(error.Message);
                return BuildHost.ExitFailed;
            case IOException or UnauthorizedAccessException:
                context.Fail($"{error.Message} (an I/O error from this machine: free space, permissions or a locked file)");
                return BuildHost.ExitFailed;
            default:
                context.Fail(error.ToString());
                context.Fail("this is a bug in BTM, not in your repo: please report it with the output above");
                return BuildHost.ExitFailed;
        }
    }

    // Cake wraps a task's exception (CakeReportException, AggregateException); the user needs the
    // original message with its command and output tail, not the wrapper's first line.
    public static Exception Unwrap(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } or CakeReportException or CakeException && e.InnerException is not null)
            e = e is AggregateException a ? a.InnerExceptions[0] : e.InnerException!;
        return e;
    }
}
