using System.Text;
using System.Text.Json;

namespace TypedKafka.Serialization.Avro;

/// <summary>The kinds of Avro schema (the specification's primitive and complex types).</summary>
public enum AvroType
{
    Null = 0,
    Boolean = 1,
    Int = 2,
    Long = 3,
    Float = 4,
    Double = 5,
    Bytes = 6,
    String = 7,
    Record = 8,
    Enum = 9,
    Array = 10,
    Map = 11,
    Union = 12,
    Fixed = 13,
}

/// <summary>
/// An Avro schema parsed at run time: a writer schema fetched from a Schema Registry, or the reader schema a generated
/// decoder was compiled from. Named types used again are the same object, so a recursive record is a cycle.
/// Parsed with <see cref="System.Text.Json.JsonDocument"/>: no reflection.
/// </summary>
public sealed class AvroSchema
{
    private static readonly IReadOnlyList<string> None = Array.Empty<string>();
    private string? _canonical;

    private AvroSchema(AvroType type) => Type = type;

    public AvroType Type { get; }

    /// <summary>For records, enums and fixed: the full name (namespace.name).</summary>
    public string? FullName { get; private set; }

    /// <summary>For records, enums and fixed: the name without its namespace.</summary>
    public string? Name { get; private set; }

    /// <summary>For named types: the aliases, as full names.</summary>
    public IReadOnlyList<string> Aliases { get; private set; } = None;

    public IReadOnlyList<AvroSchemaField> Fields { get; private set; } = Array.Empty<AvroSchemaField>();

    public IReadOnlyList<string> Symbols { get; private set; } = None;

    /// <summary>For enums: the symbol a reader uses for a writer symbol it does not know, or null.</summary>
    public string? EnumDefault { get; private set; }

    /// <summary>For fixed: the size in bytes.</summary>
    public int Size { get; private set; }

    /// <summary>Array items or map values.</summary>
    public AvroSchema? Items { get; private set; }

    public IReadOnlyList<AvroSchema> Branches { get; private set; } = Array.Empty<AvroSchema>();

    public string? LogicalType { get; private set; }

    /// <summary>The schema in a canonical JSON form (full names, no docs, defaults or aliases): two schemas with equal
    /// canonical forms encode data identically.</summary>
    public string CanonicalForm => _canonical ??= BuildCanonical();

    public override string ToString() => CanonicalForm;

    public bool IsNamed => Type is AvroType.Record or AvroType.Enum or AvroType.Fixed;

    /// <summary>Parses schema JSON; a <see cref="FormatException"/> names what is wrong.</summary>
    public static AvroSchema Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The Avro schema is not valid JSON: {ex.Message}", ex);
        }

        using (document)
            return new Parser().Read(document.RootElement, null);
    }

    internal static AvroSchema Primitive(AvroType type) => new(type);

    private string BuildCanonical()
    {
        var text = new StringBuilder();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Write(this, text, seen);
        return text.ToString();
    }

    private static void Write(AvroSchema schema, StringBuilder text, HashSet<string> seen)
    {
        switch (schema.Type)
        {
            case AvroType.Record:
            case AvroType.Enum:
            case AvroType.Fixed:
                if (!seen.Add(schema.FullName!))
                {
                    text.Append('"').Append(schema.FullName).Append('"');
                    return;
                }

                text.Append("{\"name\":\"").Append(schema.FullName).Append("\",\"type\":\"").Append(TypeName(schema.Type)).Append('"');
                if (schema.Type == AvroType.Record)
                {
                    text.Append(",\"fields\":[");
                    for (int i = 0; i < schema.Fields.Count; i++)
                    {
                        if (i > 0)
                            text.Append(',');
                        text.Append("{\"name\":\"").Append(schema.Fields[i].Name).Append("\",\"type\":");
                        Write(schema.Fields[i].Schema, text, seen);
                        text.Append('}');
                    }

                    text.Append(']');
                }
                else if (schema.Type == AvroType.Enum)
                {
                    text.Append(",\"symbols\":[").AppendJoin(',', schema.Symbols.Select(s => "\"" + s + "\"")).Append(']');
                }
                else
                {
                    text.Append(",\"size\":").Append(schema.Size);
                }

                text.Append('}');
                return;
            case AvroType.Array:
                text.Append("{\"type\":\"array\",\"items\":");
                Write(schema.Items!, text, seen);
                text.Append('}');
                return;
            case AvroType.Map:
                text.Append("{\"type\":\"map\",\"values\":");
                Write(schema.Items!, text, seen);
                text.Append('}');
                return;
            case AvroType.Union:
                text.Append('[');
                for (int i = 0; i < schema.Branches.Count; i++)
                {
                    if (i > 0)
                        text.Append(',');
                    Write(schema.Branches[i], text, seen);
                }

                text.Append(']');
                return;
            default:
                text.Append('"').Append(TypeName(schema.Type)).Append('"');
                return;
        }
    }

    internal static string TypeName(AvroType type) => type switch
    {
        AvroType.Null => "null",
        AvroType.Boolean => "boolean",
        AvroType.Int => "int",
        AvroType.Long => "long",
        AvroType.Float => "float",
        AvroType.Double => "double",
        AvroType.Bytes => "bytes",
        AvroType.String => "string",
        AvroType.Record => "record",
        AvroType.Enum => "enum",
        AvroType.Array => "array",
        AvroType.Map => "map",
        AvroType.Union => "union",
        _ => "fixed",
    };

    /// <summary>A short description for error messages: the full name of a named type, else the type (with items).</summary>
    internal string Describe() => Type switch
    {
        AvroType.Record or AvroType.Enum or AvroType.Fixed => $"{TypeName(Type)} {FullName}",
        AvroType.Array => $"array of {Items!.Describe()}",
        AvroType.Map => $"map of {Items!.Describe()}",
        AvroType.Union => "union [" + string.Join(", ", Branches.Select(b => b.Describe())) + "]",
        _ => TypeName(Type),
    };

    private sealed class Parser
    {
        private readonly Dictionary<string, AvroSchema> _named = new(StringComparer.Ordinal);

        public AvroSchema Read(JsonElement json, string? enclosingNamespace)
        {
            switch (json.ValueKind)
            {
                case JsonValueKind.String:
                    return Named(json.GetString()!, enclosingNamespace);
                case JsonValueKind.Array:
                {
                    var branches = new List<AvroSchema>();
                    foreach (var item in json.EnumerateArray())
                    {
                        var branch = Read(item, enclosingNamespace);
                        if (branch.Type == AvroType.Union)
                            throw new FormatException("A union directly inside a union is not allowed.");
                        if (branches.Any(b => b.Type == branch.Type && (!branch.IsNamed || b.FullName == branch.FullName)))
                            throw new FormatException($"The union has two branches of type {branch.Describe()}.");
                        branches.Add(branch);
                    }

                    if (branches.Count == 0)
                        throw new FormatException("An empty union.");
                    return new AvroSchema(AvroType.Union) { Branches = branches };
                }

                case JsonValueKind.Object:
                    return ReadObject(json, enclosingNamespace);
                default:
                    throw new FormatException($"A schema must be a name, an object or a union array, not {json.ValueKind}.");
            }
        }

        private AvroSchema ReadObject(JsonElement json, string? enclosingNamespace)
        {
            if (!json.TryGetProperty("type", out var typeElement))
                throw new FormatException("A schema object has no \"type\".");
            if (typeElement.ValueKind != JsonValueKind.String)
                return Read(typeElement, enclosingNamespace); // {"type": {...}} or {"type": [...]}
            string type = typeElement.GetString()!;
            string? logical = json.TryGetProperty("logicalType", out var l) && l.ValueKind == JsonValueKind.String ? l.GetString() : null;
            switch (type)
            {
                case "record":
                case "error":
                {
                    var record = Define(json, AvroType.Record, enclosingNamespace);
                    string? ns = Namespace(record.FullName!);
                    if (!json.TryGetProperty("fields", out var fieldsJson) || fieldsJson.ValueKind != JsonValueKind.Array)
                        throw new FormatException($"Record {record.FullName} has no \"fields\" array.");
                    var fields = new List<AvroSchemaField>();
                    foreach (var f in fieldsJson.EnumerateArray())
                    {
                        if (f.ValueKind != JsonValueKind.Object || !f.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String)
                            throw new FormatException($"A field of record {record.FullName} has no name.");
                        string name = n.GetString()!;
                        if (!f.TryGetProperty("type", out var ft))
                            throw new FormatException($"Field {name} of record {record.FullName} has no type.");
                        if (fields.Any(x => x.Name == name))
                            throw new FormatException($"Record {record.FullName} has two fields named {name}.");
                        var fieldSchema = Read(ft, ns);
                        bool hasDefault = f.TryGetProperty("default", out var d);
                        fields.Add(new AvroSchemaField(name, StringArray(f, "aliases"), fieldSchema, hasDefault, hasDefault ? d.Clone() : default, fields.Count));
                    }

                    record.Fields = fields;
                    return record;
                }

                case "enum":
                {
                    var schema = Define(json, AvroType.Enum, enclosingNamespace);
                    if (!json.TryGetProperty("symbols", out var symbols) || symbols.ValueKind != JsonValueKind.Array)
                        throw new FormatException($"Enum {schema.FullName} has no \"symbols\" array.");
                    var list = new List<string>();
                    foreach (var s in symbols.EnumerateArray())
                    {
                        if (s.ValueKind != JsonValueKind.String)
                            throw new FormatException($"Enum {schema.FullName} has a symbol that is not a string.");
                        if (list.Contains(s.GetString()!))
                            throw new FormatException($"Enum {schema.FullName} has the symbol {s.GetString()} twice.");
                        list.Add(s.GetString()!);
                    }

                    schema.Symbols = list;
                    if (json.TryGetProperty("default", out var def))
                    {
                        if (def.ValueKind != JsonValueKind.String || !list.Contains(def.GetString()!))
                            throw new FormatException($"The default of enum {schema.FullName} is not one of its symbols.");
                        schema.EnumDefault = def.GetString();
                    }

                    return schema;
                }

                case "fixed":
                {
                    var schema = Define(json, AvroType.Fixed, enclosingNamespace);
                    if (!json.TryGetProperty("size", out var size) || size.ValueKind != JsonValueKind.Number || !size.TryGetInt32(out int s) || s < 0)
                        throw new FormatException($"Fixed {schema.FullName} has no valid \"size\".");
                    schema.Size = s;
                    schema.LogicalType = logical;
                    return schema;
                }

                case "array":
                    if (!json.TryGetProperty("items", out var items))
                        throw new FormatException("An array schema has no \"items\".");
                    return new AvroSchema(AvroType.Array) { Items = Read(items, enclosingNamespace) };
                case "map":
                    if (!json.TryGetProperty("values", out var values))
                        throw new FormatException("A map schema has no \"values\".");
                    return new AvroSchema(AvroType.Map) { Items = Read(values, enclosingNamespace) };
                default:
                    var primitive = PrimitiveType(type);
                    if (primitive is null)
                        return Named(type, enclosingNamespace);
                    return new AvroSchema(primitive.Value) { LogicalType = logical };
            }
        }

        private AvroSchema Define(JsonElement json, AvroType type, string? enclosingNamespace)
        {
            if (!json.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String || n.GetString()!.Length == 0)
                throw new FormatException($"A {TypeName(type)} schema has no name.");
            string name = n.GetString()!;
            string? ns = json.TryGetProperty("namespace", out var x) && x.ValueKind == JsonValueKind.String ? x.GetString() : enclosingNamespace;
            string full = Qualify(name, ns);
            if (_named.ContainsKey(full) || PrimitiveType(full) is not null)
                throw new FormatException($"The name {full} is defined twice (or is a primitive type name).");
            string? space = Namespace(full);
            var schema = new AvroSchema(type)
            {
                FullName = full,
                Name = full.Substring(full.LastIndexOf('.') + 1),
                Aliases = StringArray(json, "aliases").Select(a => Qualify(a, space)).ToList(),
            };
            _named[full] = schema;
            return schema;
        }

        private AvroSchema Named(string name, string? enclosingNamespace)
        {
            var primitive = PrimitiveType(name);
            if (primitive is not null)
                return new AvroSchema(primitive.Value);
            if (_named.TryGetValue(Qualify(name, enclosingNamespace), out var schema) || _named.TryGetValue(name, out schema))
                return schema;
            throw new FormatException($"Unknown type \"{name}\" (a named type must be defined before it is used).");
        }

        private static string Qualify(string name, string? ns) => name.Contains('.') || string.IsNullOrEmpty(ns) ? name : ns + "." + name;

        private static string? Namespace(string fullName) => fullName.Contains('.') ? fullName.Substring(0, fullName.LastIndexOf('.')) : null;

        private static IReadOnlyList<string> StringArray(JsonElement json, string property)
        {
            if (!json.TryGetProperty(property, out var a) || a.ValueKind != JsonValueKind.Array)
                return None;
            return a.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList();
        }

        private static AvroType? PrimitiveType(string name) => name switch
        {
            "null" => AvroType.Null,
            "boolean" => AvroType.Boolean,
            "int" => AvroType.Int,
            "long" => AvroType.Long,
            "float" => AvroType.Float,
            "double" => AvroType.Double,
            "bytes" => AvroType.Bytes,
            "string" => AvroType.String,
            _ => null,
        };
    }
}

/// <summary>A field of an Avro record schema.</summary>
public sealed class AvroSchemaField
{
    internal AvroSchemaField(string name, IReadOnlyList<string> aliases, AvroSchema schema, bool hasDefault, JsonElement defaultValue, int position)
    {
        Name = name;
        Aliases = aliases;
        Schema = schema;
        HasDefault = hasDefault;
        Default = defaultValue;
        Position = position;
    }

    public string Name { get; }

    public IReadOnlyList<string> Aliases { get; }

    public AvroSchema Schema { get; }

    public bool HasDefault { get; }

    /// <summary>The default as JSON (valid when <see cref="HasDefault"/>).</summary>
    public JsonElement Default { get; }

    /// <summary>The field's index in its record.</summary>
    public int Position { get; }
}
