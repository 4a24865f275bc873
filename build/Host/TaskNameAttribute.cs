namespace Btm.Build.Host;

/// <summary>The name a task is run by (<c>--target=&lt;name&gt;</c>).</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class TaskNameAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}
