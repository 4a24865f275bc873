using Btm.Build.Host;

namespace Btm.Build.Tasks;

[TaskName("Empty")]
[TaskDescription("Does nothing: the baseline bench/noop-build.sh compares a no-op Build against")]
public sealed class EmptyTask : BtmTask
{
    public override void Run(BuildContext context)
    {
    }
}
