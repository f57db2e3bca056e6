using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using TypedKafka.Generators.Json;

namespace TypedKafka.Generators.Avro;

/// <summary>Emits, for a class bound to an .avsc file: the missing properties, nested record/enum types, and a binary decoder.</summary>
internal static class AvroEmitter
{
    private const string Reader = "global::TypedKafka.AvroBinaryReader";

    public static void Emit(SourceProductionContext context, AvroBoundModel model)
    {
        foreach (var d in model.Diagnostics)
            context.ReportDiagnostic(d.ToDiagnostic());
        if (model.Type is null || model.Schema is null)
            return;
        try
        {
            context.AddSource($"TypedKafka.Avro.{Names.Sanitize(model.Type.TypeName)}.g.cs", EmitSource(model.Type, model.Schema, model.GeneratedProperties));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.GeneratorFailure, model.Type.Location?.ToLocation() ?? Location.None, model.Type.Display, $"{ex.GetType().Name}: {ex.Message}"));
        }
    }

    private static string EmitSource(AvroBoundType type, AvroNode schema, EquatableArray<string> generatedProperties)
    {
        var named = new Dictionary<string, AvroNode>();
        AvroParser.Collect(schema, named);
        string Cs(AvroNode n) => AvroTypes.CSharpType(n, type, schema, named);

        var w = new CodeWriter().Header();
        if (type.Namespace is not null)
            w.Open($"namespace {type.Namespace}");

        w.Line($"/// <summary>Bound to the Avro schema {JsonEmitter.Str(type.SchemaFile).Trim('"')} (record {schema.Name}).</summary>");
        if (type.IsPartial)
        {
            w.Open($"partial class {type.Name}");
            foreach (var field in schema.Fields.Where(f => generatedProperties.Items.Contains(f.PropertyName)))
            {
                w.Line($"/// <summary>Avro field <c>{field.Name}</c>.</summary>");
                string csType = Cs(field.Type);
                string init = csType.EndsWith("?") || IsValueType(field.Type, named) ? "" : " = default!;";
                w.Line($"public {csType} {field.PropertyName} {{ get; set; }}{init}");
                w.Line();
            }

            foreach (var node in named.Values.Where(n => n != schema && n.Kind is "record" or "enum").OrderBy(n => n.Name, StringComparer.Ordinal))
            {
                w.Line(CodeWriter.GeneratedCode);
                if (node.Kind == "enum")
                {
                    w.Open($"public enum {AvroTypes.NestedName(node, schema, type)}");
                    foreach (var symbol in node.Symbols)
                        w.Line(symbol + ",");
                    w.Close();
                }
                else
                {
                    w.Open($"public sealed partial class {AvroTypes.NestedName(node, schema, type)}");
                    foreach (var field in node.Fields)
                    {
                        string csType = Cs(field.Type);
                        string init = csType.EndsWith("?") || IsValueType(field.Type, named) ? "" : " = default!;";
                        w.Line($"public {csType} {field.PropertyName} {{ get; set; }}{init}");
                    }

                    w.Close();
                }

                w.Line();
            }

            w.Close();
        }

        if (type.Namespace is not null)
            w.Close();
        w.Line();
        w.Open("namespace TypedKafka.Generated");
        string id = Names.Sanitize(type.TypeName);
        w.Line($"/// <summary>Decodes <c>{type.Display}</c> from Avro binary, straight from the span (the reader schema is the writer schema).</summary>");
        w.Line(CodeWriter.GeneratedCode);
        w.Open($"internal sealed class KafkaAvroDeserializer_{id} : global::TypedKafka.IDeserializer<{type.TypeName}>");
        w.Line("private readonly global::TypedKafka.KafkaWireFormat _wireFormat;");
        w.Line();
        w.Line($"public KafkaAvroDeserializer_{id}(global::TypedKafka.KafkaWireFormat wireFormat = global::TypedKafka.KafkaWireFormat.Auto) => _wireFormat = wireFormat;");
        w.Line();
        w.Open($"public {type.TypeName} Deserialize(global::System.ReadOnlySpan<byte> data, bool isNull, in global::TypedKafka.SerializationContext context)");
        w.Line("if (isNull)");
        w.Line("    return default!;");
        w.Line("if (_wireFormat != global::TypedKafka.KafkaWireFormat.Plain && global::TypedKafka.ConfluentWireFormat.TryReadHeader(data, out _, out var framed))");
        w.Line("{");
        w.Line("    // Avro has no reserved first byte: in Auto mode a frame that does not decode exactly is read again as plain bytes.");
        w.Line("    if (_wireFormat == global::TypedKafka.KafkaWireFormat.Confluent)");
        w.Line("        return Decode(framed);");
        w.Line("    try");
        w.Line("    {");
        w.Line("        return Decode(framed);");
        w.Line("    }");
        w.Line("    catch (global::System.Exception) when (data.Length > 0)");
        w.Line("    {");
        w.Line("    }");
        w.Line("}");
        w.Line("else if (_wireFormat == global::TypedKafka.KafkaWireFormat.Confluent)");
        w.Line("    throw new global::System.IO.InvalidDataException(\"The value does not start with the Confluent Schema Registry prefix.\");");
        w.Line("return Decode(data);");
        w.Close();
        w.Line();
        w.Open($"public static {type.TypeName} Decode(global::System.ReadOnlySpan<byte> data)");
        w.Line($"var reader = new {Reader}(data);");
        w.Line($"var result = {ReadRecordName(schema)}(ref reader);");
        w.Line("reader.EnsureEnd();");
        w.Line("return result;");
        w.Close();

        foreach (var node in named.Values.Where(n => n.Kind == "record").OrderBy(n => n == schema ? "" : n.Name, StringComparer.Ordinal))
        {
            w.Line();
            string csType = Cs(node);
            w.Open($"private static {csType} {ReadRecordName(node)}(ref {Reader} reader)");
            w.Line($"var result = new {csType}();");
            foreach (var field in node.Fields)
                w.Line($"result.{field.PropertyName} = {ReadExpression(field.Type, Cs, named, 0)};");
            w.Line("return result;");
            w.Close();
        }

        int helper = 0;
        foreach (var (node, name) in Collections(schema, named))
        {
            w.Line();
            string element = Cs(node.Items[0]);
            if (node.Kind == "array")
            {
                w.Open($"private static global::System.Collections.Generic.List<{element}> {name}(ref {Reader} reader)");
                w.Line($"var items = new global::System.Collections.Generic.List<{element}>();");
                w.Line("for (int count = reader.ReadBlockCount(); count != 0; count = reader.ReadBlockCount())");
                w.Line("{");
                w.Line("    for (int i = 0; i < count; i++)");
                w.Line($"        items.Add({ReadExpression(node.Items[0], Cs, named, 0)});");
                w.Line("}");
            }
            else
            {
                w.Open($"private static global::System.Collections.Generic.Dictionary<string, {element}> {name}(ref {Reader} reader)");
                w.Line($"var items = new global::System.Collections.Generic.Dictionary<string, {element}>();");
                w.Line("for (int count = reader.ReadBlockCount(); count != 0; count = reader.ReadBlockCount())");
                w.Line("{");
                w.Line("    for (int i = 0; i < count; i++)");
                w.Line("    {");
                w.Line("        string key = reader.ReadString();");
                w.Line($"        items[key] = {ReadExpression(node.Items[0], Cs, named, 0)};");
                w.Line("    }");
                w.Line("}");
            }

            w.Line("return items;");
            w.Close();
            helper++;
        }

        w.Close();
        w.Close();
        return w.ToString();
    }

    private static string ReadRecordName(AvroNode record) => "Read_" + Names.Sanitize(record.Name ?? "Record");

    private static bool IsValueType(AvroNode node, Dictionary<string, AvroNode> named)
    {
        if (node.Kind == "ref")
            node = named[node.Name!];
        return node.Kind switch
        {
            "boolean" or "int" or "long" or "float" or "double" or "enum" => true,
            "bytes" or "fixed" => node.LogicalType == "decimal",
            "string" => node.LogicalType == "uuid",
            _ => false,
        };
    }

    /// <summary>Every array and map in the schema, with the name of its reader method.</summary>
    private static IEnumerable<(AvroNode Node, string Name)> Collections(AvroNode schema, Dictionary<string, AvroNode> named)
    {
        var seen = new HashSet<AvroNode>();
        var result = new List<(AvroNode, string)>();
        void Visit(AvroNode node)
        {
            if (node.Kind is "array" or "map" && seen.Add(node))
            {
                result.Add((node, CollectionName(node)));
            }

            foreach (var f in node.Fields)
                Visit(f.Type);
            foreach (var i in node.Items)
                Visit(i);
        }

        foreach (var n in named.Values)
            Visit(n);
        return result;
    }

    private static string CollectionName(AvroNode node) => "Read_" + node.Kind + "_" + (uint)node.GetHashCode();

    private static string ReadExpression(AvroNode node, Func<AvroNode, string> cs, Dictionary<string, AvroNode> named, int depth)
    {
        if (node.Kind == "ref")
            node = named[node.Name!];
        switch (node.Kind)
        {
            case "boolean": return "reader.ReadBoolean()";
            case "int": return node.LogicalType == "date" ? "global::TypedKafka.AvroBinaryReader.ToDate(reader.ReadInt())" : "reader.ReadInt()";
            case "long":
                return node.LogicalType switch
                {
                    "timestamp-millis" => "global::TypedKafka.AvroBinaryReader.ToTimestampMillis(reader.ReadLong())",
                    "timestamp-micros" => "global::TypedKafka.AvroBinaryReader.ToTimestampMicros(reader.ReadLong())",
                    _ => "reader.ReadLong()",
                };
            case "float": return "reader.ReadFloat()";
            case "double": return "reader.ReadDouble()";
            case "bytes": return node.LogicalType == "decimal" ? $"global::TypedKafka.AvroBinaryReader.ToDecimal(reader.ReadBytesSpan(), {node.Scale})" : "reader.ReadBytes()";
            case "string": return node.LogicalType == "uuid" ? "reader.ReadUuid()" : "reader.ReadString()";
            case "fixed": return node.LogicalType == "decimal" ? $"global::TypedKafka.AvroBinaryReader.ToDecimal(reader.ReadFixedSpan({node.Size}), {node.Scale})" : $"reader.ReadFixed({node.Size})";
            case "enum": return $"({cs(node)})reader.ReadEnum({node.Symbols.Count})";
            case "record": return $"{ReadRecordName(node)}(ref reader)";
            case "array":
            case "map":
                return $"{CollectionName(node)}(ref reader)";
            case "union":
                var branches = node.Items.Items;
                int nullIndex = branches[0].Kind == "null" ? 0 : 1;
                var other = branches[1 - nullIndex];
                string otherType = cs(other);
                return $"(reader.ReadUnionIndex(2) == {nullIndex} ? default({otherType}?) : {ReadExpression(other, cs, named, depth + 1)})";
            default:
                throw new InvalidOperationException($"Avro type {node.Kind} cannot be read.");
        }
    }
}
