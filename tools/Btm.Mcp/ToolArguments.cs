using System.Reflection;
using System.Text.Json;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Btm.Mcp;

/// <summary>
/// Checks a tool call's arguments against the tool method's parameters before the SDK binds them,
/// so a wrong type answers with the argument and the reason ("packages[0]: null; give a string")
/// instead of the SDK's "An error occurred invoking …"; and turns anything else a tool throws into
/// an error result that says what happened, never an echo of the input.
/// </summary>
public static class ToolArguments
{
    private static readonly Dictionary<string, Dictionary<string, ParameterInfo>> Tools = typeof(BtmTools).GetMethods()
        .Select(m => (Method: m, Tool: m.GetCustomAttribute<McpServerToolAttribute>()))
        .Where(t => t.Tool?.Name is not null)
        .ToDictionary(t => t.Tool!.Name!, t => t.Method.GetParameters().ToDictionary(p => p.Name!, StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>The first problem with the arguments, naming the argument, or null when they bind.</summary>
    public static string? Problem(string tool, IDictionary<string, JsonElement>? arguments)
    {
        if (arguments?.TryGetValue(BoundedLineStream.OversizedArgument, out var size) == true)
            return $"the request was {size} bytes; a call may be at most {BoundedLineStream.MaxLine} (names are at most {ComponentSynthesizer.MaxName} characters, option values {ComponentSynthesizer.MaxOptionValue})";
        if (!Tools.TryGetValue(tool, out var parameters))
            return null;
        foreach (var (name, value) in arguments ?? new Dictionary<string, JsonElement>())
        {
            if (!parameters.TryGetValue(name, out var parameter))
                return $"argument '{ComponentSynthesizer.Clip(name)}' is unknown; {tool} takes: {string.Join(", ", parameters.Keys)}";
            if (Mismatch(parameter.ParameterType, value, optional: parameter.HasDefaultValue) is { } why)
                return $"argument '{name}'{why}";
        }
        foreach (var missing in parameters.Values.Where(p => !p.HasDefaultValue && !(arguments?.ContainsKey(p.Name!) ?? false)))
            return $"argument '{missing.Name}' is required";
        return null;
    }

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "true/false",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "nothing",
    };

    private static string? Mismatch(Type type, JsonElement value, bool optional)
    {
        if (value.ValueKind == JsonValueKind.Null)
            return optional ? null : ": null; give a value";
        if (type == typeof(string))
            return value.ValueKind == JsonValueKind.String ? null : $": {Kind(value)}; give a string";
        if (type == typeof(bool))
            return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : $": {Kind(value)}; give true or false";
        if (type == typeof(int))
            return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _) ? null : $": {Kind(value)}; give a whole number";
        if (type == typeof(string[]))
        {
            if (value.ValueKind != JsonValueKind.Array)
                return $": {Kind(value)}; give an array of strings";
            var i = 0;
            foreach (var item in value.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                    return $"[{i}]: {Kind(item)}; give a string";
                i++;
            }
            return null;
        }
        if (type == typeof(Dictionary<string, string>))
        {
            if (value.ValueKind != JsonValueKind.Object)
                return $": {Kind(value)}; give an object of strings";
            foreach (var property in value.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.String)
                    return $".{ComponentSynthesizer.Clip(property.Name)}: {Kind(property.Value)}; give a string";
            }
        }
        return null;
    }

    /// <summary>The call-tool filter: arguments checked first; an unexpected failure answered with its reason, not a stack.</summary>
    public static McpRequestHandler<CallToolRequestParams, CallToolResult> Filter(McpRequestHandler<CallToolRequestParams, CallToolResult> next) =>
        async (request, cancellationToken) =>
        {
            var call = request.Params!;
            if (Problem(call.Name, call.Arguments) is { } problem)
                return Error($"{call.Name}: {problem}");
            return await next(request, cancellationToken);
        };

    public static CallToolResult Error(string message) => new() { IsError = true, Content = [new TextContentBlock { Text = message }] };
}
