using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using TypedKafka.Generated;
using TypedKafka.Serialization.Avro;
using Xunit.Abstractions;

namespace TypedKafka.RuntimeTests;

/// <summary>
/// Avro schema resolution (issue 14) against Apache.Avro's <c>GenericDatumReader</c> with writer and reader schemas: the
/// reader is the compiled Schemas/customer.avsc; thousands of writer schemas are derived from it at random by every rule
/// of the specification (fields added, removed with and without defaults, renamed to the reader's aliases, reordered;
/// int → long → float → double and string ↔ bytes; unions on the writer's side, the reader's, or both; enum symbols
/// added, removed and reordered; records renamed to the reader's aliases; incompatible types), and values are written
/// with each by Apache.Avro's GenericDatumWriter. The generated resolving decoder and Apache.Avro must produce the same
/// values, or both fail.
/// <para>
/// Apache.Avro 1.12.2 breaks two rules of the specification (framework-api.md §5), so what it is given applies them
/// itself, leaving the bytes unchanged: the writer's fields named by a reader field's alias are renamed to the reader's
/// name (and records matched by alias get the reader's name), and where the writer has string and the reader bytes (or
/// the reverse) the writer schema given to Apache.Avro says the reader's type: the two share one binary encoding.
/// </para>
/// </summary>
public class AvroResolutionDifferentialTests(ITestOutputHelper output)
{
    private const int WriterSchemas = 3000;
    private const int ValuesPerSchema = 3;

    [Fact]
    public void Resolving_decoder_agrees_with_Apache_Avro_on_3000_generated_writer_schemas()
    {
        var readerJson = JsonNode.Parse(KafkaAvroDeserializer_TypedKafka_RuntimeTests_Customer.ReaderSchemaJson)!.AsObject();
        var reader = AvroSchema.Parse(KafkaAvroDeserializer_TypedKafka_RuntimeTests_Customer.ReaderSchemaJson);
        var apacheReader = Avro.Schema.Parse(KafkaAvroDeserializer_TypedKafka_RuntimeTests_Customer.ReaderSchemaJson);
        var random = new Random(20260214);
        var rules = new Dictionary<string, int>();
        var mismatches = new List<string>();
        int bothRead = 0, bothFailed = 0, planned = 0, sameSchema = 0;

        for (int s = 0; s < WriterSchemas; s++)
        {
            var generator = new WriterGenerator(random, readerJson, rules);
            var (writerJson, apacheJson) = generator.Record(readerJson);
            string writerText = writerJson.ToJsonString();
            string apacheText = apacheJson.ToJsonString();
            var apacheWriter = Avro.Schema.Parse(apacheText);
            var writer = AvroSchema.Parse(writerText);
            AvroReadPlan? plan = AvroResolver.Plan(writer, reader, "generated");
            if (plan is null)
                sameSchema++;
            else
                planned++;

            for (int v = 0; v < ValuesPerSchema; v++)
            {
                var datum = new ValueGenerator(random).Value(apacheWriter);
                var stream = new MemoryStream();
                new Avro.Generic.GenericDatumWriter<object>(apacheWriter).Write(datum!, new Avro.IO.BinaryEncoder(stream));
                byte[] bytes = stream.ToArray();

                string ours, theirs;
                try
                {
                    var customer = plan is null
                        ? KafkaAvroDeserializer_TypedKafka_RuntimeTests_Customer.Decode(bytes)
                        : KafkaAvroDeserializer_TypedKafka_RuntimeTests_Customer.DecodeResolved(bytes, plan);
                    ours = Normalize.Typed(customer, reader);
                }
                catch (Exception e) when (e is FormatException or InvalidDataException or OverflowException)
                {
                    ours = "failed: " + e.Message;
                }

                try
                {
                    var read = new Avro.Generic.GenericDatumReader<object>(apacheWriter, apacheReader).Read(null!, new Avro.IO.BinaryDecoder(new MemoryStream(bytes)));
                    theirs = Normalize.Generic(read, reader);
                }
                catch (Exception e) when (e is Avro.AvroException or InvalidCastException or IndexOutOfRangeException or KeyNotFoundException or ArgumentException)
                {
                    theirs = "failed: " + e.Message;
                }

                bool oursFailed = ours.StartsWith("failed: ", StringComparison.Ordinal), theirsFailed = theirs.StartsWith("failed: ", StringComparison.Ordinal);
                if (oursFailed && theirsFailed)
                    bothFailed++;
                else if (ours == theirs)
                    bothRead++;
                else
                    mismatches.Add($"schema #{s} value {v}\n  writer {writerText}\n  apache {apacheText}\n  ours   {ours}\n  Apache {theirs}");
            }
        }

        output.WriteLine($"{WriterSchemas} writer schemas ({planned} with a plan, {sameSchema} identical), {WriterSchemas * ValuesPerSchema} values: {bothRead} read equally, {bothFailed} rejected by both, {mismatches.Count} mismatches");
        foreach (var (rule, count) in rules.OrderBy(r => r.Key, StringComparer.Ordinal))
            output.WriteLine($"  {rule}: {count}");
        foreach (var m in mismatches.Take(5))
            output.WriteLine(m);

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches.Take(3)));
        Assert.True(bothRead > WriterSchemas * ValuesPerSchema / 4, $"only {bothRead} values read: the writer schemas are too often incompatible");
        Assert.True(bothFailed > WriterSchemas * ValuesPerSchema / 50, $"only {bothFailed} values rejected: incompatible writers are too rare");
        foreach (var rule in WriterGenerator.AllRules)
            Assert.True(rules.GetValueOrDefault(rule) >= 50, $"rule '{rule}' was applied only {rules.GetValueOrDefault(rule)} times");
    }

    /// <summary>Derives a writer schema from the reader's (and the equivalent schema to give Apache.Avro).</summary>
    private sealed class WriterGenerator(Random random, JsonObject readerRoot, Dictionary<string, int> rules)
    {
        public static readonly string[] AllRules =
        [
            "field added", "field removed (reader default)", "field removed (no default)", "field renamed to reader alias",
            "fields reordered", "int->long", "int/long->float", "int/long/float->double", "string->bytes", "bytes->string",
            "writer union", "writer union around reader union", "reader union from plain writer", "writer null only",
            "enum symbol added", "enum symbol removed", "enum symbols reordered", "record renamed to reader alias",
            "incompatible type", "fixed size changed",
        ];

        private readonly Dictionary<string, JsonObject> _namedReader = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (string WriterName, string ApacheName)> _defined = new(StringComparer.Ordinal);

        public (JsonObject Writer, JsonObject Apache) Record(JsonObject reader)
        {
            Collect(readerRoot);
            var (w, a) = NamedRecord(reader);
            return ((JsonObject)w, (JsonObject)a);
        }

        private void Collect(JsonNode? node)
        {
            if (node is JsonObject o)
            {
                if (o["name"] is JsonValue n && o["type"] is JsonValue t && t.GetValue<string>() is "record" or "enum" or "fixed")
                    _namedReader[n.GetValue<string>()] = o;
                foreach (var (_, child) in o)
                    Collect(child);
            }
            else if (node is JsonArray a)
            {
                foreach (var child in a)
                    Collect(child);
            }
        }

        private void Count(string rule) => rules[rule] = rules.GetValueOrDefault(rule) + 1;

        private (JsonNode, JsonNode) NamedRecord(JsonObject reader)
        {
            string name = reader["name"]!.GetValue<string>();
            string writerName = name;
            var aliases = reader["aliases"] as JsonArray;
            if (aliases is { Count: > 0 } && random.Next(6) == 0)
            {
                writerName = aliases[random.Next(aliases.Count)]!.GetValue<string>();
                Count("record renamed to reader alias");
            }

            _defined[name] = (writerName, name);

            // The writer's field order is chosen first: named types are defined where the writer first uses them.
            var readerFields = ((JsonArray)reader["fields"]!).Select(f => (JsonObject?)f).ToList();
            for (int extra = random.Next(4) == 0 ? random.Next(1, 3) : 0; extra > 0; extra--)
            {
                readerFields.Add(null);
                Count("field added");
            }

            if (readerFields.Count > 1 && random.Next(4) == 0)
            {
                readerFields = readerFields.OrderBy(_ => random.Next()).ToList();
                Count("fields reordered");
            }

            var writerFields = new List<(JsonObject W, JsonObject A)>();
            foreach (var field in readerFields)
            {
                if (field is null)
                {
                    var (et, ea) = Extra();
                    string extraName = "extra" + writerFields.Count;
                    writerFields.Add((new JsonObject { ["name"] = extraName, ["type"] = et }, new JsonObject { ["name"] = extraName, ["type"] = ea }));
                    continue;
                }

                string fieldName = field["name"]!.GetValue<string>();
                if (random.Next(field.ContainsKey("default") ? 8 : 80) == 0)
                {
                    Count(field.ContainsKey("default") ? "field removed (reader default)" : "field removed (no default)");
                    continue;
                }

                string writerFieldName = fieldName;
                if (field["aliases"] is JsonArray fieldAliases && random.Next(4) == 0)
                {
                    writerFieldName = fieldAliases[random.Next(fieldAliases.Count)]!.GetValue<string>();
                    Count("field renamed to reader alias");
                }

                var (wt, at) = Type(field["type"]!);
                writerFields.Add((new JsonObject { ["name"] = writerFieldName, ["type"] = wt }, new JsonObject { ["name"] = fieldName, ["type"] = at }));
            }

            // Named types are defined where the writer first uses them; the same writer order holds for both copies.
            var w = new JsonObject { ["type"] = "record", ["name"] = writerName, ["fields"] = new JsonArray(writerFields.Select(f => (JsonNode)f.W).ToArray()) };
            var a = new JsonObject { ["type"] = "record", ["name"] = name, ["fields"] = new JsonArray(writerFields.Select(f => (JsonNode)f.A).ToArray()) };
            if (reader["namespace"] is JsonValue ns)
            {
                w["namespace"] = ns.GetValue<string>();
                a["namespace"] = ns.GetValue<string>();
            }

            return (w, a);
        }

        private (JsonNode, JsonNode) Type(JsonNode reader)
        {
            if (random.Next(250) == 0)
            {
                Count("incompatible type");
                bool isBoolean = reader is JsonValue v && v.GetValue<string>() == "boolean";
                return (isBoolean ? "string" : "boolean", isBoolean ? "string" : "boolean");
            }

            switch (reader)
            {
                case JsonArray union:
                {
                    // The reader's unions are ["null", T].
                    var other = union.First(b => !(b is JsonValue bv && bv.GetValue<string>() == "null"))!;
                    switch (random.Next(6))
                    {
                        case 0:
                            Count("writer null only");
                            return ("null", "null");
                        case 1:
                        case 2:
                        {
                            Count("reader union from plain writer");
                            return Type(other);
                        }

                        case 3:
                        {
                            Count("writer union around reader union");
                            var (wt, at) = Type(other);
                            return (Union(wt, "null"), Union(at, "null"));
                        }

                        default:
                        {
                            var (wt, at) = Type(other);
                            return (Union("null", wt), Union("null", at));
                        }
                    }
                }

                case JsonValue value:
                {
                    string name = value.GetValue<string>();
                    if (_namedReader.TryGetValue(name, out var definition))
                        return Named(definition);
                    return WrapMaybe(Primitive(name));
                }

                case JsonObject obj:
                    switch (obj["type"]!.GetValue<string>())
                    {
                        case "record":
                        case "enum":
                        case "fixed":
                            return Named(obj);
                        case "array":
                        {
                            var (wt, at) = Type(obj["items"]!);
                            return (new JsonObject { ["type"] = "array", ["items"] = wt }, new JsonObject { ["type"] = "array", ["items"] = at });
                        }

                        case "map":
                        {
                            var (wt, at) = Type(obj["values"]!);
                            return (new JsonObject { ["type"] = "map", ["values"] = wt }, new JsonObject { ["type"] = "map", ["values"] = at });
                        }

                        default:
                            return WrapMaybe(Primitive(obj["type"]!.GetValue<string>()));
                    }

                default:
                    throw new InvalidOperationException("unexpected schema node");
            }
        }

        /// <summary>A named type: defined at its first use in the writer, referred to by name after that.</summary>
        private (JsonNode, JsonNode) Named(JsonObject reader)
        {
            string name = reader["name"]!.GetValue<string>();
            if (_defined.TryGetValue(name, out var names))
                return (names.WriterName, names.ApacheName);
            switch (reader["type"]!.GetValue<string>())
            {
                case "record":
                    return NamedRecord(reader);
                case "enum":
                {
                    _defined[name] = (name, name);
                    var symbols = ((JsonArray)reader["symbols"]!).Select(x => x!.GetValue<string>()).ToList();
                    if (random.Next(4) == 0)
                    {
                        symbols.Add("Extra" + random.Next(3));
                        Count("enum symbol added");
                    }

                    if (random.Next(6) == 0 && symbols.Count > 1)
                    {
                        symbols.RemoveAt(random.Next(symbols.Count));
                        Count("enum symbol removed");
                    }

                    if (random.Next(4) == 0)
                    {
                        symbols = symbols.OrderBy(_ => random.Next()).ToList();
                        Count("enum symbols reordered");
                    }

                    JsonObject Make() => new() { ["type"] = "enum", ["name"] = name, ["symbols"] = new JsonArray(symbols.Select(x => (JsonNode)x).ToArray()) };
                    return (Make(), Make());
                }

                default:
                {
                    _defined[name] = (name, name);
                    int size = reader["size"]!.GetValue<int>();
                    if (random.Next(30) == 0)
                    {
                        size++;
                        Count("fixed size changed");
                    }

                    JsonObject Make() => new() { ["type"] = "fixed", ["name"] = name, ["size"] = size };
                    return (Make(), Make());
                }
            }
        }

        private (JsonNode, JsonNode) Primitive(string reader)
        {
            int roll = random.Next(3);
            switch (reader)
            {
                case "long" when roll == 0:
                    Count("int->long");
                    return ("int", "int");
                case "float" when roll == 0:
                    Count("int/long->float");
                    return random.Next(2) == 0 ? ("int", "int") : ("long", "long");
                case "double" when roll == 0:
                    Count("int/long/float->double");
                    string d = new[] { "int", "long", "float" }[random.Next(3)];
                    return (d, d);
                case "string" when roll == 0:
                    Count("string->bytes");
                    return ("bytes", "string");
                case "bytes" when roll == 0:
                    Count("bytes->string");
                    return ("string", "bytes");
                default:
                    return (reader, reader);
            }
        }

        private (JsonNode, JsonNode) WrapMaybe((JsonNode W, JsonNode A) type)
        {
            if (random.Next(25) != 0)
                return type;
            Count("writer union");
            // A writer union: the reader reads whichever branch was written (the "null" branch fails for a plain reader type).
            return random.Next(2) == 0
                ? (Union(type.W, "null"), Union(type.A, "null"))
                : (Union("boolean", type.W), Union("boolean", type.A));
        }

        /// <summary>A union of the branches, flattened (a union cannot hold a union) and without repeated types.</summary>
        private static JsonNode Union(params JsonNode[] branches)
        {
            var flat = new List<JsonNode>();
            var keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var branch in branches.SelectMany(b => b is JsonArray a ? a.Select(x => x!) : new[] { b }))
            {
                string key = branch switch
                {
                    JsonValue v => v.GetValue<string>(),
                    JsonObject o when o["type"]!.GetValue<string>() is "array" or "map" => o["type"]!.GetValue<string>(),
                    JsonObject o => o["name"]!.GetValue<string>(),
                    _ => branch.ToJsonString(),
                };
                if (keys.Add(key))
                    flat.Add(branch.DeepClone());
            }

            return flat.Count == 1 ? flat[0] : new JsonArray(flat.ToArray());
        }

        private (JsonNode, JsonNode) Extra()
        {
            switch (random.Next(5))
            {
                case 0: return ("string", "string");
                case 1: return (new JsonArray("null", "long"), new JsonArray("null", "long"));
                case 2: return (new JsonObject { ["type"] = "array", ["items"] = "double" }, new JsonObject { ["type"] = "array", ["items"] = "double" });
                case 3:
                {
                    string name = "Extra" + random.Next(1_000_000);
                    JsonObject Make() => new() { ["type"] = "record", ["name"] = name, ["fields"] = new JsonArray(new JsonObject { ["name"] = "x", ["type"] = "int" }, new JsonObject { ["name"] = "m", ["type"] = new JsonObject { ["type"] = "map", ["values"] = "string" } }) };
                    return (Make(), Make());
                }

                default:
                {
                    string name = "ExtraFixed" + random.Next(1_000_000);
                    JsonObject Make() => new() { ["type"] = "fixed", ["name"] = name, ["size"] = 3 };
                    return (Make(), Make());
                }
            }
        }
    }

    /// <summary>Random values for an Apache.Avro schema, as Apache.Avro's generic datums.</summary>
    internal sealed class ValueGenerator(Random random)
    {
        private static readonly string[] Strings = ["", "a", "Main", "café", "日本語", "emoji 😀", "tab\t", new string('x', 40)];

        public object? Value(Avro.Schema schema, int depth = 0)
        {
            switch (schema)
            {
                case Avro.RecordSchema record:
                {
                    var result = new Avro.Generic.GenericRecord(record);
                    foreach (var field in record.Fields)
                        result.Add(field.Name, Value(field.Schema, depth + 1));
                    return result;
                }

                case Avro.EnumSchema e:
                    return new Avro.Generic.GenericEnum(e, e.Symbols[random.Next(e.Symbols.Count)]);
                case Avro.FixedSchema f:
                {
                    var bytes = new byte[f.Size];
                    random.NextBytes(bytes);
                    return new Avro.Generic.GenericFixed(f, bytes);
                }

                case Avro.ArraySchema a:
                    return Enumerable.Range(0, depth > 3 ? 0 : random.Next(4)).Select(_ => Value(a.ItemSchema, depth + 1)).ToArray();
                case Avro.MapSchema m:
                {
                    var map = new Dictionary<string, object?>();
                    for (int i = depth > 3 ? 0 : random.Next(4); i > 0; i--)
                        map[Strings[random.Next(Strings.Length)] + i] = Value(m.ValueSchema, depth + 1);
                    return map;
                }

                case Avro.UnionSchema u:
                    return Value(u.Schemas[random.Next(u.Count)], depth + 1);
                default:
                    return schema.Tag switch
                    {
                        Avro.Schema.Type.Null => null,
                        Avro.Schema.Type.Boolean => random.Next(2) == 0,
                        Avro.Schema.Type.Int => random.Next(5) switch { 0 => int.MaxValue, 1 => int.MinValue, 2 => 0, _ => random.Next(-1000, 1000) },
                        Avro.Schema.Type.Long => random.Next(5) switch { 0 => long.MaxValue, 1 => long.MinValue, 2 => 1L << 40, _ => (long)random.Next() * random.Next(-3, 3) },
                        Avro.Schema.Type.Float => random.Next(6) switch { 0 => float.NaN, 1 => float.MaxValue, 2 => -0.0f, _ => (float)(random.NextDouble() * 1000) },
                        Avro.Schema.Type.Double => random.Next(6) switch { 0 => double.PositiveInfinity, 1 => double.MinValue, 2 => 1e-300, _ => random.NextDouble() * 1e6 },
                        Avro.Schema.Type.String => Strings[random.Next(Strings.Length)],
                        Avro.Schema.Type.Bytes => Encoding.UTF8.GetBytes(Strings[random.Next(Strings.Length)]),
                        _ => throw new InvalidOperationException($"no values for {schema.Tag}"),
                    };
            }
        }
    }

    /// <summary>One text form for a reader value from either decoder, walked by the reader schema.</summary>
    internal static class Normalize
    {
        public static string Typed(object? value, AvroSchema schema)
        {
            var text = new StringBuilder();
            WriteTyped(value, schema, text);
            return text.ToString();
        }

        public static string Generic(object? value, AvroSchema schema)
        {
            var text = new StringBuilder();
            WriteGeneric(value, schema, text);
            return text.ToString();
        }

        private static void WriteTyped(object? value, AvroSchema schema, StringBuilder text)
        {
            if (schema.Type == AvroType.Union)
            {
                if (value is null)
                    text.Append("null");
                else
                    WriteTyped(value, schema.Branches.First(b => b.Type != AvroType.Null), text);
                return;
            }

            switch (schema.Type)
            {
                case AvroType.Record:
                    text.Append('{');
                    foreach (var field in schema.Fields)
                    {
                        string property = string.Concat(field.Name.Split('_', StringSplitOptions.RemoveEmptyEntries).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
                        text.Append(field.Name).Append(':');
                        WriteTyped(value!.GetType().GetProperty(property, BindingFlags.Public | BindingFlags.Instance)!.GetValue(value), field.Schema, text);
                        text.Append(',');
                    }

                    text.Append('}');
                    return;
                case AvroType.Enum:
                    text.Append(value);
                    return;
                case AvroType.Array:
                    text.Append('[');
                    foreach (var item in (System.Collections.IEnumerable)value!)
                    {
                        WriteTyped(item, schema.Items!, text);
                        text.Append(',');
                    }

                    text.Append(']');
                    return;
                case AvroType.Map:
                {
                    var map = (System.Collections.IDictionary)value!;
                    text.Append('{');
                    foreach (var key in map.Keys.Cast<string>().OrderBy(k => k, StringComparer.Ordinal))
                    {
                        text.Append(key).Append(':');
                        WriteTyped(map[key], schema.Items!, text);
                        text.Append(',');
                    }

                    text.Append('}');
                    return;
                }

                default:
                    Scalar(value, schema, text);
                    return;
            }
        }

        private static void WriteGeneric(object? value, AvroSchema schema, StringBuilder text)
        {
            if (schema.Type == AvroType.Union)
            {
                if (value is null)
                    text.Append("null");
                else
                    WriteGeneric(value, schema.Branches.First(b => b.Type != AvroType.Null), text);
                return;
            }

            switch (schema.Type)
            {
                case AvroType.Record:
                {
                    var record = (Avro.Generic.GenericRecord)value!;
                    text.Append('{');
                    foreach (var field in schema.Fields)
                    {
                        text.Append(field.Name).Append(':');
                        WriteGeneric(record[field.Name], field.Schema, text);
                        text.Append(',');
                    }

                    text.Append('}');
                    return;
                }

                case AvroType.Enum:
                    text.Append(((Avro.Generic.GenericEnum)value!).Value);
                    return;
                case AvroType.Fixed:
                    Scalar(((Avro.Generic.GenericFixed)value!).Value, schema, text);
                    return;
                case AvroType.Array:
                    text.Append('[');
                    foreach (var item in (System.Collections.IEnumerable)value!)
                    {
                        WriteGeneric(item, schema.Items!, text);
                        text.Append(',');
                    }

                    text.Append(']');
                    return;
                case AvroType.Map:
                {
                    var map = (System.Collections.IDictionary)value!;
                    text.Append('{');
                    foreach (var key in map.Keys.Cast<string>().OrderBy(k => k, StringComparer.Ordinal))
                    {
                        text.Append(key).Append(':');
                        WriteGeneric(map[key], schema.Items!, text);
                        text.Append(',');
                    }

                    text.Append('}');
                    return;
                }

                default:
                    Scalar(value, schema, text);
                    return;
            }
        }

        private static void Scalar(object? value, AvroSchema schema, StringBuilder text)
        {
            switch (schema.Type)
            {
                case AvroType.Null:
                    text.Append(value is null ? "null" : "NOT NULL " + value);
                    return;
                case AvroType.Float:
                    text.Append(Convert.ToSingle(value, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture)).Append('f');
                    return;
                case AvroType.Double:
                    text.Append(Convert.ToDouble(value, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture)).Append('d');
                    return;
                case AvroType.Bytes:
                case AvroType.Fixed:
                    text.Append("0x").Append(Convert.ToHexString((byte[])value!));
                    return;
                case AvroType.String:
                    text.Append('"').Append((string)value!).Append('"');
                    return;
                default:
                    text.Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append(':').Append(schema.Type);
                    return;
            }
        }
    }
}
