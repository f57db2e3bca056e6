namespace TypedKafka.Generators.Avro;

internal sealed record SchemaFile(string Path, string? Text);

/// <summary>A class marked [AvroSchema], as the parser saw it.</summary>
internal sealed record AvroBoundType(
    string TypeName,
    string Display,
    string? Namespace,
    string Name,
    string Accessibility,
    bool IsPartial,
    bool IsTopLevel,
    bool HasParameterlessConstructor,
    string SchemaFile,
    EquatableArray<DeclaredProperty> Properties,
    LocationInfo? Location);

internal sealed record DeclaredProperty(string Name, string TypeName, bool Settable);

/// <summary>One node of an Avro schema. Named types appear in full once; later uses are Kind = "ref".</summary>
internal sealed record AvroNode(
    string Kind,
    string? Name,
    string? LogicalType,
    int Size,
    int Scale,
    EquatableArray<AvroField> Fields,
    EquatableArray<string> Symbols,
    EquatableArray<AvroNode> Items)
{
    /// <summary>For records, enums and fixed: the namespace (null for none).</summary>
    public string? Namespace { get; init; }

    public string? FullName => Name is null ? null : Namespace is null ? Name : Namespace + "." + Name;
}

internal sealed record AvroField(string Name, string PropertyName, AvroNode Type);

/// <summary>A bound type with its parsed schema and the problems found; what the Avro emitter works from.</summary>
internal sealed record AvroBoundModel(
    AvroBoundType? Type,
    AvroNode? Schema,
    EquatableArray<string> GeneratedProperties,
    EquatableArray<DiagnosticInfo> Diagnostics)
{
    /// <summary>The schema file's text: emitted as the reader schema that run-time resolution plans are built against.</summary>
    public string? SchemaJson { get; init; }
}
