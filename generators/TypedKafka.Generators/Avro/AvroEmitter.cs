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
            context.AddSource($"TypedKafka.Avro.{Names.Sanitize(model.Type.TypeName)}.g.cs", EmitSource(model.Type, model.Schema, model.GeneratedProperties, model.SchemaJson ?? ""));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.GeneratorFailure, model.Type.Location?.ToLocation() ?? Location.None, model.Type.Display, $"{ex.GetType().Name}: {ex.Message}"));
        }
    }

    private static string EmitSource(AvroBoundType type, AvroNode schema, EquatableArray<string> generatedProperties, string schemaJson)
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
        EmitDecoder(w, "KafkaAvroDeserializer_" + Names.Sanitize(type.TypeName), type.TypeName, type.Display, JsonEmitter.Str(type.SchemaFile).Trim('"') + " as compiled",
            schema, schemaJson, named, Cs);
        w.Close();
        return w.ToString();
    }

    /// <summary>For an Apache.Avro <c>ISpecificRecord</c> whose schema the generator could read: the same decoder as for
    /// an .avsc-bound class (no reflection, from the span), setting the record's own properties.</summary>
    public static void EmitSpecificDecoder(CodeWriter w, string className, string typeName, string display, SpecificRecordModel specific)
    {
        var named = new Dictionary<string, AvroNode>();
        AvroParser.Collect(specific.Schema, named);
        var names = specific.Types.ToDictionary(t => t.AvroName, t => t.CSharpType);
        string Cs(AvroNode n) => SpecificRecordParser.CSharpType(n, named, names);
        EmitDecoder(w, className, typeName, display, "the ISpecificRecord's _SCHEMA", specific.Schema, specific.SchemaJson, named, Cs, specific: true);
    }

    private static void EmitDecoder(CodeWriter w, string className, string typeName, string display, string schemaOrigin, AvroNode schema, string schemaJson,
        Dictionary<string, AvroNode> named, Func<AvroNode, string> Cs, bool specific = false)
    {
        var type = (TypeName: typeName, Display: display);
        string id = className;
        w.Line($"/// <summary>");
        w.Line($"/// Decodes <c>{type.Display}</c> from Avro binary, straight from the span. With a Schema Registry (in the");
        w.Line($"/// <see cref=\"global::TypedKafka.MessageContext\"/>), a framed value's writer schema is looked up by id and, when it");
        w.Line($"/// differs from the reader schema below, read through a resolution plan built once per id; otherwise the reader");
        w.Line($"/// schema is taken to be the writer schema.");
        w.Line($"/// </summary>");
        w.Line(CodeWriter.GeneratedCode);
        w.Open($"internal sealed class {id} : global::TypedKafka.IMessageDeserializer<{type.TypeName}>");
        w.Line($"/// <summary>The reader schema: {schemaOrigin}.</summary>");
        w.Line($"public const string ReaderSchemaJson = {JsonEmitter.Str(schemaJson)};");
        w.Line();
        w.Line($"private static readonly {Resolving}.AvroPlanCache Plans = new {Resolving}.AvroPlanCache(ReaderSchemaJson);");
        w.Line();
        w.Line("private readonly global::TypedKafka.KafkaWireFormat _wireFormat;");
        w.Line();
        w.Line($"public {id}(global::TypedKafka.KafkaWireFormat wireFormat = global::TypedKafka.KafkaWireFormat.Auto) => _wireFormat = wireFormat;");
        w.Line();
        w.Line($"public {type.TypeName} Deserialize(global::System.ReadOnlySpan<byte> data, bool isNull, in global::TypedKafka.SerializationContext context) => Deserialize(data, isNull, (global::TypedKafka.SchemaRegistry.ISchemaRegistryClient?)null);");
        w.Line();
        w.Open($"public {type.TypeName} Deserialize(global::System.ReadOnlySpan<byte> data, bool isNull, global::TypedKafka.MessageContext context)");
        w.Line("// Confluent's newer serializers may name the schema in a __value_schema_id header; the payload then has no prefix.");
        w.Line("if (!isNull && context.SchemaRegistry is { } registry && context.Headers.Count > 0");
        w.Line("    && global::TypedKafka.ConfluentWireFormat.TryReadSchemaIdHeader(context.Headers, false, out int headerId, out global::System.Guid headerGuid))");
        w.Line("{");
        w.Line("    var plan = headerGuid != global::System.Guid.Empty ? Plans.GetPlan(registry, headerGuid) : Plans.GetPlan(registry, headerId);");
        w.Line("    return plan is null ? Decode(data) : DecodeResolved(data, plan);");
        w.Line("}");
        w.Line();
        w.Line("return Deserialize(data, isNull, context.SchemaRegistry);");
        w.Close();
        w.Line();
        w.Open($"public {type.TypeName} Deserialize(global::System.ReadOnlySpan<byte> data, bool isNull, global::TypedKafka.SchemaRegistry.ISchemaRegistryClient? registry)");
        w.Line("if (isNull)");
        w.Line("    return default!;");
        w.Line("if (_wireFormat != global::TypedKafka.KafkaWireFormat.Plain && global::TypedKafka.ConfluentWireFormat.TryReadHeader(data, out int schemaId, out var framed))");
        w.Line("{");
        w.Line("    if (registry is not null)");
        w.Line("    {");
        w.Line($"        {Resolving}.AvroReadPlan? plan;");
        w.Line("        try");
        w.Line("        {");
        w.Line("            plan = Plans.GetPlan(registry, schemaId);");
        w.Line("        }");
        w.Line("        catch (global::TypedKafka.SchemaRegistry.SchemaRegistryException e) when (!e.IsRetriable && _wireFormat == global::TypedKafka.KafkaWireFormat.Auto)");
        w.Line("        {");
        w.Line("            // Auto: a plain value that happens to start with byte 0 names no registered schema; read it as plain bytes.");
        w.Line("            try");
        w.Line("            {");
        w.Line("                return Decode(data);");
        w.Line("            }");
        w.Line("            catch (global::System.Exception)");
        w.Line("            {");
        w.Line("                throw e;");
        w.Line("            }");
        w.Line("        }");
        w.Line("");
        w.Line("        // The writer's own schema is the reader's: the same-schema decoder (no plan) reads it.");
        w.Line("        return plan is null ? Decode(framed) : DecodeResolved(framed, plan);");
        w.Line("    }");
        w.Line("");
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

        w.Line();
        w.Line("/// <summary>Reads data written with another schema by following <paramref name=\"plan\"/> (built by <see cref=\"global::TypedKafka.Serialization.Avro.AvroResolver\"/>).</summary>");
        w.Open($"public static {type.TypeName} DecodeResolved(global::System.ReadOnlySpan<byte> data, {Resolving}.AvroReadPlan plan)");
        w.Line($"var reader = new {Reader}(data);");
        w.Line($"var result = {ResolvedRecordName(schema)}(ref reader, plan);");
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
                w.Line($"result.{field.PropertyName} = {ReadExpression(field.Type, Cs, named, 0, specific)};");
            w.Line("return result;");
            w.Close();

            // The resolving reader: the writer's fields in the writer's order, each into its reader field or skipped,
            // then the defaults of the reader fields the writer lacks.
            w.Line();
            w.Open($"private static {csType} {ResolvedRecordName(node)}(ref {Reader} reader, {Resolving}.AvroReadPlan plan)");
            w.Line($"plan = {Resolving}.AvroResolving.Record(ref reader, plan);");
            w.Line($"var result = new {csType}();");
            w.Line("var fields = plan.Fields;");
            w.Open("for (int i = 0; i < fields.Length; i++)");
            w.Line("var p = fields[i].Plan;");
            w.Open("switch (fields[i].ReaderField)");
            for (int f = 0; f < node.Fields.Count; f++)
            {
                var field = node.Fields[f];
                w.Line($"case {f}: // {field.Name}");
                w.Line($"    result.{field.PropertyName} = {ResolvedExpression(field.Type, Cs, named, "p", specific)};");
                w.Line("    break;");
            }

            w.Line("default:");
            w.Line($"    {Resolving}.AvroResolving.Skip(ref reader, p.WriterSchema);");
            w.Line("    break;");
            w.Close();
            w.Close();
            w.Line("var defaults = plan.Defaults;");
            w.Line("for (int i = 0; i < defaults.Length; i++)");
            w.Line($"    {DefaultName(node)}(result, defaults[i].ReaderField, defaults[i].Encoded);");
            w.Line("return result;");
            w.Close();

            w.Line();
            w.Open($"private static void {DefaultName(node)}({csType} result, int field, byte[] encoded)");
            w.Line($"var reader = new {Reader}(encoded);");
            w.Open("switch (field)");
            for (int f = 0; f < node.Fields.Count; f++)
            {
                var field = node.Fields[f];
                w.Line($"case {f}:");
                w.Line($"    result.{field.PropertyName} = {ReadExpression(field.Type, Cs, named, 0, specific)};");
                w.Line("    break;");
            }

            w.Close();
            w.Close();
        }

        if (specific)
        {
            foreach (var node in named.Values.Where(n => n.Kind == "fixed" && n.LogicalType != "decimal").OrderBy(n => n.Name, StringComparer.Ordinal))
            {
                string csType = Cs(node);
                w.Line();
                w.Open($"private static {csType} {FixedName(node, false)}(ref {Reader} reader)");
                w.Line($"var result = new {csType}();");
                w.Line($"reader.ReadFixedSpan({node.Size}).CopyTo(result.Value);");
                w.Line("return result;");
                w.Close();
                w.Line();
                w.Open($"private static {csType} {FixedName(node, true)}(ref {Reader} reader, {Resolving}.AvroReadPlan plan)");
                w.Line($"var result = new {csType}();");
                w.Line($"{Resolving}.AvroResolving.ReadFixedSpan(ref reader, plan).CopyTo(result.Value);");
                w.Line("return result;");
                w.Close();
            }
        }

        if (specific)
        {
            // A union other than [null, T]: the branch's value, boxed, as Apache.Avro's SpecificDatumReader puts it in the object property.
            foreach (var node in WideUnions(named))
            {
                var branches = node.Items.Items;
                w.Line();
                w.Open($"private static object? {UnionName(node, false)}(ref {Reader} reader)");
                w.Open($"switch (reader.ReadUnionIndex({branches.Length}))");
                for (int i = 0; i < branches.Length; i++)
                {
                    w.Line(i == branches.Length - 1 ? "default:" : $"case {i}:");
                    w.Line(branches[i].Kind == "null" ? "    return null;"
                        : IsEnum(branches[i], named) ? $"    return reader.ReadEnum({Resolve(branches[i], named).Symbols.Count}); // Apache.Avro's specific reader gives the symbol index here, not the C# enum"
                        : $"    return {ReadExpression(branches[i], Cs, named, 1, specific)};");
                }

                w.Close();
                w.Close();
                w.Line();
                w.Open($"private static object? {UnionName(node, true)}(ref {Reader} reader, {Resolving}.AvroReadPlan plan)");
                w.Line("var p = plan;");
                w.Open($"switch ({Resolving}.AvroResolving.ReaderBranch(ref reader, ref p))");
                for (int i = 0; i < branches.Length; i++)
                {
                    w.Line(i == branches.Length - 1 ? "default:" : $"case {i}:");
                    w.Line(branches[i].Kind == "null" ? "    return null;"
                        : IsEnum(branches[i], named) ? $"    return {Resolving}.AvroResolving.ReadEnum(ref reader, p);"
                        : $"    return {ResolvedExpression(branches[i], Cs, named, "p", specific)};");
                }

                w.Close();
                w.Close();
            }
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
                w.Line($"        items.Add({ReadExpression(node.Items[0], Cs, named, 0, specific)});");
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
                w.Line($"        items[key] = {ReadExpression(node.Items[0], Cs, named, 0, specific)};");
                w.Line("    }");
                w.Line("}");
            }

            w.Line("return items;");
            w.Close();

            w.Line();
            string itemExpression = ResolvedExpression(node.Items[0], Cs, named, "p", specific);
            if (node.Kind == "array")
            {
                w.Open($"private static global::System.Collections.Generic.List<{element}> {ResolvedCollectionName(node)}(ref {Reader} reader, {Resolving}.AvroReadPlan plan)");
                w.Line($"var itemPlan = {Resolving}.AvroResolving.Items(ref reader, plan);");
                w.Line($"var items = new global::System.Collections.Generic.List<{element}>();");
                w.Line("for (int count = reader.ReadBlockCount(); count != 0; count = reader.ReadBlockCount())");
                w.Line("{");
                w.Line("    for (int i = 0; i < count; i++)");
                w.Line("    {");
                w.Line("        var p = itemPlan;");
                w.Line($"        items.Add({itemExpression});");
                w.Line("    }");
                w.Line("}");
            }
            else
            {
                w.Open($"private static global::System.Collections.Generic.Dictionary<string, {element}> {ResolvedCollectionName(node)}(ref {Reader} reader, {Resolving}.AvroReadPlan plan)");
                w.Line($"var itemPlan = {Resolving}.AvroResolving.Items(ref reader, plan);");
                w.Line($"var items = new global::System.Collections.Generic.Dictionary<string, {element}>();");
                w.Line("for (int count = reader.ReadBlockCount(); count != 0; count = reader.ReadBlockCount())");
                w.Line("{");
                w.Line("    for (int i = 0; i < count; i++)");
                w.Line("    {");
                w.Line("        string key = reader.ReadString();");
                w.Line("        var p = itemPlan;");
                w.Line($"        items[key] = {itemExpression};");
                w.Line("    }");
                w.Line("}");
            }

            w.Line("return items;");
            w.Close();
            helper++;
        }

        w.Close();
    }

    private const string Resolving = "global::TypedKafka.Serialization.Avro";

    private static string ReadRecordName(AvroNode record) => "Read_" + Names.Sanitize(record.Name ?? "Record");

    private static string ResolvedRecordName(AvroNode record) => "ReadResolved_" + Names.Sanitize(record.Name ?? "Record");

    private static string DefaultName(AvroNode record) => "ApplyDefault_" + Names.Sanitize(record.Name ?? "Record");

    private static string ResolvedCollectionName(AvroNode node) => "ReadResolved_" + node.Kind + "_" + StableId(node);

    /// <summary>An expression reading the reader type <paramref name="node"/> from the writer's data, following the plan in
    /// the local variable <paramref name="plan"/> (which a reader union of null and T reassigns to T's plan).</summary>
    private static string ResolvedExpression(AvroNode node, Func<AvroNode, string> cs, Dictionary<string, AvroNode> named, string plan, bool specific)
    {
        if (node.Kind == "ref")
            node = named[node.Name!];
        string r = Resolving + ".AvroResolving";
        if (specific && SpecificExpression(node, $"{r}.ReadInt(ref reader, {plan})", $"{r}.ReadLong(ref reader, {plan})", $"{r}.ReadString(ref reader, {plan})",
                $"{r}.ReadBytesSpan(ref reader, {plan})", $"{r}.ReadFixedSpan(ref reader, {plan})", $"{FixedName(node, true)}(ref reader, {plan})") is { } logical)
            return logical;
        switch (node.Kind)
        {
            case "boolean": return $"{r}.ReadBoolean(ref reader, {plan})";
            case "int": return node.LogicalType == "date" ? $"global::TypedKafka.AvroBinaryReader.ToDate({r}.ReadInt(ref reader, {plan}))" : $"{r}.ReadInt(ref reader, {plan})";
            case "long":
                return node.LogicalType switch
                {
                    "timestamp-millis" => $"global::TypedKafka.AvroBinaryReader.ToTimestampMillis({r}.ReadLong(ref reader, {plan}))",
                    "timestamp-micros" => $"global::TypedKafka.AvroBinaryReader.ToTimestampMicros({r}.ReadLong(ref reader, {plan}))",
                    _ => $"{r}.ReadLong(ref reader, {plan})",
                };
            case "float": return $"{r}.ReadFloat(ref reader, {plan})";
            case "double": return $"{r}.ReadDouble(ref reader, {plan})";
            case "bytes": return node.LogicalType == "decimal" ? $"global::TypedKafka.AvroBinaryReader.ToDecimal({r}.ReadBytesSpan(ref reader, {plan}), {node.Scale})" : $"{r}.ReadBytes(ref reader, {plan})";
            case "string": return node.LogicalType == "uuid" ? $"global::System.Guid.Parse({r}.ReadString(ref reader, {plan}))" : $"{r}.ReadString(ref reader, {plan})";
            case "fixed": return node.LogicalType == "decimal" ? $"global::TypedKafka.AvroBinaryReader.ToDecimal({r}.ReadFixedSpan(ref reader, {plan}), {node.Scale})" : $"{r}.ReadFixed(ref reader, {plan})";
            case "enum": return $"({cs(node)}){r}.ReadEnum(ref reader, {plan})";
            case "record": return $"{ResolvedRecordName(node)}(ref reader, {plan})";
            case "array":
            case "map":
                return $"{ResolvedCollectionName(node)}(ref reader, {plan})";
            case "union" when specific && !SpecificRecordParser.IsOptional(node):
                return $"{UnionName(node, true)}(ref reader, {plan})";
            case "union":
                var other = node.Items.Items.First(b => b.Kind != "null");
                return $"({r}.IsNull(ref reader, ref {plan}) ? default({cs(other)}?) : {ResolvedExpression(other, cs, named, plan, specific)})";
            default:
                throw new InvalidOperationException($"Avro type {node.Kind} cannot be read.");
        }
    }

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

    private static string CollectionName(AvroNode node) => "Read_" + node.Kind + "_" + StableId(node);

    /// <summary>A hash of the node's structure that is the same in every compiler process (a record's GetHashCode mixes
    /// string hashes, which are randomized per process, so generated names would change from build to build).</summary>
    private static uint StableId(AvroNode node)
    {
        var hash = 2166136261u;
        Mix(node);
        return hash;

        void Text(string? text)
        {
            foreach (var c in text ?? "\0") hash = (hash ^ c) * 16777619u;
            hash = (hash ^ '|') * 16777619u;
        }

        void Mix(AvroNode n)
        {
            Text(n.Kind);
            Text(n.FullName);
            Text(n.LogicalType);
            Text(n.Size.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Text(n.Scale.ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (var field in n.Fields)
            {
                Text(field.Name);
                Text(field.PropertyName);
                Mix(field.Type);
            }
            foreach (var symbol in n.Symbols) Text(symbol);
            Text("[");
            foreach (var item in n.Items) Mix(item);
            Text("]");
        }
    }

    private static AvroNode Resolve(AvroNode node, Dictionary<string, AvroNode> named) => node.Kind == "ref" ? named[node.Name!] : node;

    private static bool IsEnum(AvroNode node, Dictionary<string, AvroNode> named) => Resolve(node, named).Kind == "enum";

    private static string UnionName(AvroNode node, bool resolved) => (resolved ? "ReadResolvedUnion_" : "ReadUnion_") + StableId(node);

    /// <summary>Every union other than [null, T] in the schema (an Apache.Avro specific record's object property).</summary>
    private static List<AvroNode> WideUnions(Dictionary<string, AvroNode> named)
    {
        var seen = new HashSet<AvroNode>();
        var result = new List<AvroNode>();
        void Visit(AvroNode node)
        {
            if (node.Kind == "union" && !SpecificRecordParser.IsOptional(node) && seen.Add(node))
                result.Add(node);
            foreach (var f in node.Fields)
                Visit(f.Type);
            foreach (var i in node.Items)
                Visit(i);
        }

        foreach (var n in named.Values.OrderBy(n => n.Name, StringComparer.Ordinal))
            Visit(n);
        return result;
    }

    private static string FixedName(AvroNode node, bool resolved) => (resolved ? "ReadResolvedFixed_" : "ReadFixed_") + Names.Sanitize(node.Name ?? "Fixed");

    /// <summary>For an Apache.Avro specific record: the expression reading a logical type or a fixed as Apache.Avro's
    /// SpecificDatumReader gives it (AvroDecimal, UTC DateTime, TimeSpan, Guid, the SpecificFixed class), or null when
    /// the node reads as in an .avsc-bound class. The arguments read the underlying value.</summary>
    private static string? SpecificExpression(AvroNode node, string readInt, string readLong, string readString, string readBytesSpan, string readFixedSpan, string readFixed)
    {
        const string b = "global::TypedKafka.AvroBinaryReader";
        switch (node.LogicalType, node.Kind)
        {
            case ("decimal", "bytes"): return $"new global::Avro.AvroDecimal(new global::System.Numerics.BigInteger({readBytesSpan}, false, true), {node.Scale})";
            case ("decimal", "fixed"): return $"new global::Avro.AvroDecimal(new global::System.Numerics.BigInteger({readFixedSpan}, false, true), {node.Scale})";
            case ("date", "int"): return $"{b}.ToUtcDateTimeFromDays({readInt})";
            case ("time-millis", "int"): return $"{b}.ToTimeSpanFromMillis({readInt})";
            case ("time-micros", "long"): return $"{b}.ToTimeSpanFromMicros({readLong})";
            case ("timestamp-millis", "long"): return $"{b}.ToUtcDateTimeFromMillis({readLong})";
            case ("timestamp-micros", "long"): return $"{b}.ToUtcDateTimeFromMicros({readLong})";
            case ("uuid", "string"): return $"global::System.Guid.Parse({readString})";
            case (_, "fixed"): return readFixed;
            default: return null;
        }
    }

    private static string ReadExpression(AvroNode node, Func<AvroNode, string> cs, Dictionary<string, AvroNode> named, int depth, bool specific)
    {
        if (node.Kind == "ref")
            node = named[node.Name!];
        if (specific && SpecificExpression(node, "reader.ReadInt()", "reader.ReadLong()", "reader.ReadString()", "reader.ReadBytesSpan()",
                $"reader.ReadFixedSpan({node.Size})", $"{FixedName(node, false)}(ref reader)") is { } logical)
            return logical;
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
            case "union" when specific && !SpecificRecordParser.IsOptional(node):
                return $"{UnionName(node, false)}(ref reader)";
            case "union":
                var branches = node.Items.Items;
                int nullIndex = branches[0].Kind == "null" ? 0 : 1;
                var other = branches[1 - nullIndex];
                string otherType = cs(other);
                return $"(reader.ReadUnionIndex(2) == {nullIndex} ? default({otherType}?) : {ReadExpression(other, cs, named, depth + 1, specific)})";
            default:
                throw new InvalidOperationException($"Avro type {node.Kind} cannot be read.");
        }
    }
}
