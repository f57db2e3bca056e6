using System.Globalization;
using System.Text.Json;

namespace TypedKafka.Protocol.CodeGen;

/// <summary>An inclusive version range from the spec ("0+", "3-7", "5", "none").</summary>
public readonly record struct VersionRange(short Low, short High)
{
    public static readonly VersionRange None = new(1, 0);

    public bool IsEmpty => Low > High;

    public bool IsOpen => High == short.MaxValue;

    public bool Contains(short version) => version >= Low && version <= High;

    public bool Covers(VersionRange other) => other.IsEmpty || (Low <= other.Low && High >= other.High);

    public VersionRange Intersect(VersionRange other) =>
        new VersionRange(Math.Max(Low, other.Low), Math.Min(High, other.High)) is { IsEmpty: false } r ? r : None;

    public VersionRange Union(VersionRange other) =>
        IsEmpty ? other : other.IsEmpty ? this : new(Math.Min(Low, other.Low), Math.Max(High, other.High));

    public static VersionRange Parse(string? text)
    {
        if (text is null || text == "none") return None;
        if (text.EndsWith('+')) return new(short.Parse(text[..^1], CultureInfo.InvariantCulture), short.MaxValue);
        int dash = text.IndexOf('-');
        if (dash > 0)
        {
            return new(short.Parse(text[..dash], CultureInfo.InvariantCulture), short.Parse(text[(dash + 1)..], CultureInfo.InvariantCulture));
        }
        short single = short.Parse(text, CultureInfo.InvariantCulture);
        return new(single, single);
    }

    public override string ToString() => IsEmpty ? "none" : IsOpen ? $"{Low}+" : Low == High ? $"{Low}" : $"{Low}-{High}";
}

public enum TypeKind { Bool, Int8, Int16, UInt16, Int32, UInt32, Int64, Float64, String, Uuid, Bytes, Records, Struct, Array }

/// <summary>A field's type: a primitive, a struct, or an array of either.</summary>
public sealed record TypeRef(TypeKind Kind, string? StructName = null, TypeRef? Element = null)
{
    public static TypeRef Parse(string text)
    {
        if (text.StartsWith("[]", StringComparison.Ordinal)) return new(TypeKind.Array, Element: Parse(text[2..]));
        return text switch
        {
            "bool" => new(TypeKind.Bool),
            "int8" => new(TypeKind.Int8),
            "int16" => new(TypeKind.Int16),
            "uint16" => new(TypeKind.UInt16),
            "int32" => new(TypeKind.Int32),
            "uint32" => new(TypeKind.UInt32),
            "int64" => new(TypeKind.Int64),
            "float64" => new(TypeKind.Float64),
            "string" => new(TypeKind.String),
            "uuid" => new(TypeKind.Uuid),
            "bytes" => new(TypeKind.Bytes),
            "records" => new(TypeKind.Records),
            _ when char.IsUpper(text[0]) => new(TypeKind.Struct, StructName: text),
            _ => throw new InvalidDataException($"Unknown field type '{text}'"),
        };
    }

    /// <summary>Encoded size of a fixed-size primitive, or 0.</summary>
    public int FixedSize => Kind switch
    {
        TypeKind.Bool or TypeKind.Int8 => 1,
        TypeKind.Int16 or TypeKind.UInt16 => 2,
        TypeKind.Int32 or TypeKind.UInt32 => 4,
        TypeKind.Int64 or TypeKind.Float64 => 8,
        TypeKind.Uuid => 16,
        _ => 0,
    };
}

public sealed class FieldSpec
{
    public required string Name { get; init; }
    public required TypeRef Type { get; init; }
    public required VersionRange Versions { get; init; }
    public required VersionRange NullableVersions { get; init; }
    public required VersionRange TaggedVersions { get; init; }
    public int? Tag { get; init; }
    public bool Ignorable { get; init; }
    public string? Default { get; init; }

    public bool IsTagged => Tag is not null;

    /// <summary>Whether the C# property can hold null (nullable in some version, or null by default).</summary>
    public bool IsCsNullable =>
        Type.Kind == TypeKind.Records ||
        (Type.Kind is TypeKind.String or TypeKind.Bytes or TypeKind.Struct or TypeKind.Array && (!NullableVersions.IsEmpty || Default == "null"));
}

public sealed class StructSpec
{
    public required string Name { get; init; }

    /// <summary>The C# class name: the spec name, or with a "Data" suffix where it would clash with a member.</summary>
    public required string ClassName { get; set; }

    public required List<FieldSpec> Fields { get; init; }

    /// <summary>Versions in which this struct can appear at all.</summary>
    public VersionRange Scope { get; set; } = VersionRange.None;
}

public sealed class MessageSpec
{
    public required string Name { get; init; }
    public required string Type { get; init; }
    public short? ApiKey { get; init; }
    public required VersionRange ValidVersions { get; init; }
    public required VersionRange FlexibleVersions { get; init; }
    public required List<FieldSpec> Fields { get; init; }

    /// <summary>Every struct used by the message, inline or common, by spec name, in definition order.</summary>
    public required List<StructSpec> Structs { get; init; }

    public StructSpec Struct(string name) => Structs.First(s => s.Name == name);

    public static MessageSpec Parse(string json)
    {
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var root = document.RootElement;
        var structs = new List<StructSpec>();
        var valid = VersionRange.Parse(root.GetProperty("validVersions").GetString());
        var flexible = VersionRange.Parse(root.GetProperty("flexibleVersions").GetString());
        var fields = ParseFields(root.GetProperty("fields"), structs);
        if (root.TryGetProperty("commonStructs", out var common))
        {
            foreach (var s in common.EnumerateArray())
            {
                string name = s.GetProperty("name").GetString()!;
                structs.Add(new StructSpec { Name = name, ClassName = name, Fields = ParseFields(s.GetProperty("fields"), structs) });
            }
        }
        var message = new MessageSpec
        {
            Name = root.GetProperty("name").GetString()!,
            Type = root.GetProperty("type").GetString()!,
            ApiKey = root.TryGetProperty("apiKey", out var key) ? key.GetInt16() : null,
            ValidVersions = valid,
            FlexibleVersions = flexible,
            Fields = fields,
            Structs = structs,
        };
        message.ResolveScopes(message.Fields, valid);
        message.ResolveClassNames();
        return message;
    }

    private void ResolveScopes(List<FieldSpec> fields, VersionRange scope)
    {
        foreach (var field in fields)
        {
            var inner = field.Type.Kind == TypeKind.Array ? field.Type.Element! : field.Type;
            if (inner.Kind != TypeKind.Struct) continue;
            var present = field.Versions.Intersect(scope);
            var spec = Struct(inner.StructName!);
            if (spec.Scope.Covers(present)) continue;
            spec.Scope = spec.Scope.Union(present);
            ResolveScopes(spec.Fields, spec.Scope);
        }
    }

    private void ResolveClassNames()
    {
        var taken = new HashSet<string>(Fields.Select(f => f.Name), StringComparer.Ordinal) { Name };
        foreach (var s in Structs)
        {
            if (taken.Contains(s.Name)) s.ClassName = s.Name + "Data";
            if (s.Fields.Any(f => f.Name == s.ClassName)) throw new InvalidDataException($"{Name}: struct {s.ClassName} has a field of the same name");
        }
    }

    private static List<FieldSpec> ParseFields(JsonElement array, List<StructSpec> structs)
    {
        var result = new List<FieldSpec>();
        foreach (var f in array.EnumerateArray())
        {
            var type = TypeRef.Parse(f.GetProperty("type").GetString()!);
            var field = new FieldSpec
            {
                Name = f.GetProperty("name").GetString()!,
                Type = type,
                Versions = VersionRange.Parse(f.GetProperty("versions").GetString()),
                NullableVersions = VersionRange.Parse(f.TryGetProperty("nullableVersions", out var n) ? n.GetString() : null),
                TaggedVersions = VersionRange.Parse(f.TryGetProperty("taggedVersions", out var t) ? t.GetString() : null),
                Tag = f.TryGetProperty("tag", out var tag) ? tag.GetInt32() : null,
                Ignorable = f.TryGetProperty("ignorable", out var ig) && ig.GetBoolean(),
                Default = f.TryGetProperty("default", out var d) ? d.ValueKind == JsonValueKind.String ? d.GetString() : d.GetRawText() : null,
            };
            if (field.IsTagged && field.TaggedVersions != field.Versions)
            {
                throw new InvalidDataException($"Field {field.Name}: tagged in only part of its versions, which this generator does not support");
            }
            if (f.TryGetProperty("fields", out var children))
            {
                var inner = type.Kind == TypeKind.Array ? type.Element! : type;
                if (inner.Kind != TypeKind.Struct) throw new InvalidDataException($"Field {field.Name} has sub-fields but type {inner.Kind}");
                if (structs.Any(s => s.Name == inner.StructName)) throw new InvalidDataException($"Struct {inner.StructName} is defined twice");
                var spec = new StructSpec { Name = inner.StructName!, ClassName = inner.StructName!, Fields = [] };
                structs.Add(spec);
                spec.Fields.AddRange(ParseFields(children, structs));
            }
            result.Add(field);
        }
        return result;
    }
}
