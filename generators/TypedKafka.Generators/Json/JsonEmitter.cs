using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TypedKafka.Generators.Model;

namespace TypedKafka.Generators.Json;

/// <summary>
/// Emits one reader method per JSON type, written against Utf8JsonReader, and one IDeserializer per message type.
/// Property names are compared as raw UTF-8 (unescaped first only when the name has escapes), case-sensitively,
/// as System.Text.Json does by default.
/// </summary>
internal static class JsonEmitter
{
    private const string Reader = "global::System.Text.Json.Utf8JsonReader";
    private const string Token = "global::System.Text.Json.JsonTokenType";
    private const string Json = "global::TypedKafka.KafkaJson";

    public static string Emit(IReadOnlyList<JsonTypeModel> types, IReadOnlyList<MessageModel> messages, int assemblyPolicy, List<DiagnosticInfo> diagnostics)
    {
        var byId = types.ToDictionary(t => t.Id);
        var w = new CodeWriter().Header();
        w.Open("namespace TypedKafka.Generated");

        foreach (var message in messages)
        {
            var type = byId[message.Id];
            w.Line($"/// <summary>Reads <c>{Escape(type.Display)}</c> from UTF-8 JSON (the Confluent prefix is handled by the wire format).</summary>");
            w.Line(CodeWriter.GeneratedCode);
            w.Open($"internal sealed class KafkaJsonDeserializer_{type.Id} : global::TypedKafka.IDeserializer<{type.TypeName}>");
            w.Line("private readonly global::TypedKafka.KafkaWireFormat _wireFormat;");
            w.Line();
            w.Line($"public KafkaJsonDeserializer_{type.Id}(global::TypedKafka.KafkaWireFormat wireFormat = global::TypedKafka.KafkaWireFormat.Auto) => _wireFormat = wireFormat;");
            w.Line();
            w.Open($"public {type.TypeName} Deserialize(global::System.ReadOnlySpan<byte> data, bool isNull, in global::TypedKafka.SerializationContext context)");
            w.Line("// A null value (tombstone) and the JSON literal null both give null; the invoker rejects it for non-nullable handlers.");
            w.Line("if (isNull)");
            w.Line("    return default!;");
            w.Line($"var reader = new {Reader}({Json}.Unframe(data, _wireFormat));");
            w.Line($"{Json}.ReadFirst(ref reader);");
            w.Line($"var value = KafkaJsonReaders.{ReadMethod(type)}(ref reader);");
            w.Line($"{Json}.ReadEnd(ref reader);");
            w.Line("return value!;");
            w.Close();
            w.Close();
            w.Line();
        }

        w.Line("/// <summary>One reader per type: each starts on the value's first token and ends on its last.</summary>");
        w.Line(CodeWriter.GeneratedCode);
        w.Open("internal static partial class KafkaJsonReaders");
        bool first = true;
        foreach (var type in types.OrderBy(t => t.Id, System.StringComparer.Ordinal))
        {
            if (type.Kind is JsonKind.Primitive or JsonKind.NullableValue)
                continue;
            if (!first)
                w.Line();
            first = false;
            switch (type.Kind)
            {
                case JsonKind.Enum:
                    EmitEnum(w, type);
                    break;
                case JsonKind.List:
                case JsonKind.Array:
                    EmitList(w, type, byId);
                    break;
                case JsonKind.Dictionary:
                    EmitDictionary(w, type, byId);
                    break;
                case JsonKind.Object:
                    EmitObject(w, type, byId, assemblyPolicy, diagnostics);
                    break;
            }
        }

        w.Close();
        w.Close();
        return w.ToString();
    }

    public static string ReadMethod(JsonTypeModel type) => "Read_" + type.Id;

    /// <summary>An expression that reads the current token as the type (for reference types, possibly null).</summary>
    private static string ReadExpression(JsonTypeModel type, Dictionary<string, JsonTypeModel> byId) => type.Kind switch
    {
        JsonKind.Primitive => $"{Json}.Read{type.Primitive}(ref reader)",
        JsonKind.NullableValue => $"(reader.TokenType == {Token}.Null ? default({type.TypeName}) : ({type.TypeName}){ReadExpression(byId[type.ElementId!], byId)})",
        _ => $"{ReadMethod(type)}(ref reader)",
    };

    private static string Suppress(JsonTypeModel type) => type.IsValueType ? "" : "!";

    private static void EmitEnum(CodeWriter w, JsonTypeModel type)
    {
        w.Open($"public static {type.TypeName} {ReadMethod(type)}(ref {Reader} reader)");
        w.Open("switch (reader.TokenType)");
        w.Line($"case {Token}.Number:");
        w.Line($"    return ({type.TypeName}){Json}.Read{type.EnumUnderlying}(ref reader);");
        w.Line($"case {Token}.String:");
        foreach (var member in type.EnumMembers)
            w.Line($"    if (reader.ValueTextEquals({Utf8(member.JsonName)})) return {type.TypeName}.{member.Name};");
        w.Line($"    return {Json}.ParseEnumString<{type.TypeName}>(ref reader);");
        w.Line("default:");
        w.Line($"    {Json}.ThrowUnexpected(ref reader, {Str(type.Display)});");
        w.Line("    return default;");
        w.Close();
        w.Close();
    }

    private static void EmitList(CodeWriter w, JsonTypeModel type, Dictionary<string, JsonTypeModel> byId)
    {
        var element = byId[type.ElementId!];
        string listType = $"global::System.Collections.Generic.List<{type.ElementTypeName}>";
        string returnType = type.Kind == JsonKind.Array ? $"{type.ElementTypeName}[]" : listType;
        w.Open($"public static {returnType}? {ReadMethod(type)}(ref {Reader} reader)");
        w.Line($"if (reader.TokenType == {Token}.Null)");
        w.Line("    return null;");
        w.Line($"{Json}.ExpectStartArray(ref reader, {Str(type.Display)});");
        w.Line($"var items = new {listType}();");
        w.Open("while (true)");
        w.Line($"{Json}.Read(ref reader);");
        w.Line($"if (reader.TokenType == {Token}.EndArray)");
        w.Line("    break;");
        w.Line($"items.Add({ReadExpression(element, byId)}{Suppress(element)});");
        w.Close();
        w.Line(type.Kind == JsonKind.Array ? "return items.ToArray();" : "return items;");
        w.Close();
    }

    private static void EmitDictionary(CodeWriter w, JsonTypeModel type, Dictionary<string, JsonTypeModel> byId)
    {
        var element = byId[type.ElementId!];
        string dictionaryType = $"global::System.Collections.Generic.Dictionary<string, {type.ElementTypeName}>";
        w.Open($"public static {dictionaryType}? {ReadMethod(type)}(ref {Reader} reader)");
        w.Line($"if (reader.TokenType == {Token}.Null)");
        w.Line("    return null;");
        w.Line($"{Json}.ExpectStartObject(ref reader, {Str(type.Display)});");
        w.Line($"var items = new {dictionaryType}();");
        w.Open("while (true)");
        w.Line($"{Json}.Read(ref reader);");
        w.Line($"if (reader.TokenType == {Token}.EndObject)");
        w.Line("    break;");
        w.Line("string key = reader.GetString()!;");
        w.Line($"{Json}.Read(ref reader);");
        w.Line("// A repeated key replaces the earlier value, as System.Text.Json does by default.");
        w.Line($"items[key] = {ReadExpression(element, byId)}{Suppress(element)};");
        w.Close();
        w.Line("return items;");
        w.Close();
    }

    private static void EmitObject(CodeWriter w, JsonTypeModel type, Dictionary<string, JsonTypeModel> byId, int assemblyPolicy, List<DiagnosticInfo> diagnostics)
    {
        var obj = type.Object!;
        int policy = obj.NamingPolicy == JsonNaming.Unspecified ? assemblyPolicy : obj.NamingPolicy;
        var members = obj.Members.Items;
        var jsonNames = members.Select(m => m.ExplicitJsonName ?? JsonNaming.Apply(policy, m.Name)).ToList();
        var duplicate = jsonNames.GroupBy(n => n, System.StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            diagnostics.Add(new DiagnosticInfo("TK0003", obj.Location, new[] { "JSON", type.Display, $"two properties have the JSON name '{duplicate.Key}'" }.ToEquatableArray()));

        string nullableReturn = type.IsValueType ? type.TypeName : type.TypeName + "?";
        w.Open($"public static {nullableReturn} {ReadMethod(type)}(ref {Reader} reader)");
        if (!type.IsValueType)
        {
            w.Line($"if (reader.TokenType == {Token}.Null)");
            w.Line("    return null;");
        }

        w.Line($"{Json}.ExpectStartObject(ref reader, {Str(type.Display)});");
        for (int i = 0; i < members.Length; i++)
        {
            var m = members[i];
            w.Line($"{m.DeclaredTypeName} {Local(m)} = default{(m.IsReferenceType ? "!" : "")};");
            if (NeedsPresence(m))
                w.Line($"bool has{m.Name} = false;");
        }

        w.Open("while (true)");
        w.Line($"{Json}.Read(ref reader);");
        w.Line($"if (reader.TokenType == {Token}.EndObject)");
        w.Line("    break;");
        w.Line($"global::System.ReadOnlySpan<byte> name = {Json}.PropertyName(ref reader);");
        w.Line($"{Json}.Read(ref reader);");
        for (int i = 0; i < members.Length; i++)
        {
            var m = members[i];
            var memberType = byId[m.TypeId];
            w.Line($"{(i == 0 ? "if" : "else if")} (global::System.MemoryExtensions.SequenceEqual(name, {Utf8(jsonNames[i])}))");
            w.Line("{");
            w.Line($"    {Local(m)} = {ReadExpression(memberType, byId)}{Suppress(memberType)};");
            if (NeedsPresence(m))
                w.Line($"    has{m.Name} = true;");
            w.Line("}");
        }

        if (members.Length > 0)
            w.Line("else");
        w.Line((members.Length > 0 ? "    " : "") + "reader.Skip(); // unknown property: skipped, as System.Text.Json does by default");
        w.Close();

        foreach (var (m, i) in members.Select((m, i) => (m, i)).Where(x => x.m.IsRequired))
        {
            w.Line($"if (!has{m.Name})");
            w.Line($"    {Json}.ThrowMissingRequired({Str(type.Display)}, {Str(jsonNames[i])});");
        }

        var ctorArgs = members.Where(m => m.ConstructorIndex >= 0).OrderBy(m => m.ConstructorIndex)
            .Select(m => $"has{m.Name} ? {Local(m)} : {m.ConstructorDefault}").ToList();
        var initializers = members.Where(m => m.ConstructorIndex < 0 && (m.Assignment is MemberAssignment.RequiredInit || m.Assignment == MemberAssignment.Init && m.InitAccessorTarget is null))
            .Select(m => $"{m.Name} = {Local(m)},").ToList();
        string construct = ctorArgs.Count == 0 && obj.IsStruct && initializers.Count == 0 ? $"new {type.TypeName}()" : $"new {type.TypeName}({string.Join(", ", ctorArgs)})";
        if (initializers.Count == 0)
        {
            w.Line($"var result = {construct};");
        }
        else
        {
            w.Line($"var result = {construct}");
            w.Line("{");
            foreach (var init in initializers)
                w.Line("    " + init);
            w.Line("};");
        }

        foreach (var m in members.Where(m => m.ConstructorIndex < 0))
        {
            if (m.Assignment == MemberAssignment.Setter)
            {
                w.Line($"if (has{m.Name})");
                w.Line($"    result.{m.Name} = {Local(m)};");
            }
            else if (m.Assignment == MemberAssignment.Init && m.InitAccessorTarget is not null)
            {
                w.Line($"if (has{m.Name}) // absent: the property keeps its initializer's value");
                w.Line($"    {InitAccessor(type, m)}({(obj.IsStruct ? "ref " : "")}result, {Local(m)});");
            }
        }

        w.Line("return result;");
        w.Close();

        foreach (var m in members.Where(m => m.ConstructorIndex < 0 && m.Assignment == MemberAssignment.Init && m.InitAccessorTarget is not null))
        {
            w.Line();
            w.Line($"[global::System.Runtime.CompilerServices.UnsafeAccessor(global::System.Runtime.CompilerServices.UnsafeAccessorKind.Method, Name = \"set_{m.Name}\")]");
            w.Line($"private static extern void {InitAccessor(type, m)}({(obj.IsStruct ? "ref " : "")}{m.InitAccessorTarget} target, {m.DeclaredTypeName} value);");
        }
    }

    private static string InitAccessor(JsonTypeModel type, JsonMemberModel m) => $"Init_{type.Id}_{m.Name}";

    private static string Local(JsonMemberModel m) => "v" + m.Name;

    /// <summary>Whether the reader tracks that the property was present: for required checks, constructor defaults and optional setters.</summary>
    private static bool NeedsPresence(JsonMemberModel m) => m.IsRequired || m.ConstructorIndex >= 0 || m.Assignment == MemberAssignment.Setter
        || m.Assignment == MemberAssignment.Init && m.InitAccessorTarget is not null;

    public static string Str(string text) => SymbolDisplay.FormatLiteral(text, quote: true);

    private static string Utf8(string text) => SymbolDisplay.FormatLiteral(text, quote: true) + "u8";

    private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
