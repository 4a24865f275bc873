using System.Text;
using Btm.Build.Host;
using Btm.Cake.Logging;
using Btm.Core.IO;
using Btm.Core.Model;

namespace Btm.Build.Tasks;

[TaskName("Schema")]
[TaskDescription("Writes docs/schemas/btm.schema.json from the builder registry (each builder's name, description and section)")]
public sealed class SchemaTask : BtmTask
{
    public override void Run(BuildContext context)
    {
        var path = Path.Combine(context.RepoRoot, BtmSchema.RepoPath);
        var schema = BtmSchema.Generate(context.Builders.Specs);
        if (File.Exists(path) && File.ReadAllText(path) == schema)
        {
            context.Success($"{BtmSchema.RepoPath} is up to date ({context.Builders.Names.Count} builders)");
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(schema));
        context.Success($"wrote {BtmSchema.RepoPath} ({context.Builders.Names.Count} builders)");
    }
}
