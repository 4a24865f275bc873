using Btm.Build.Host;

namespace Btm.Build.Tasks;

[TaskName("Tasks")]
[TaskDescription("Lists the tasks, what they do and what runs before them")]
public sealed class TasksTask : BtmTask
{
    public override void Run(BuildContext context)
    {
        foreach (var line in HelpText.TaskList(context.Tasks))
            Console.WriteLine(line);
    }
}
