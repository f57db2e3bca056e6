namespace TypedKafka.Generators.Model;

// The pipeline model: plain records with value equality, holding no ISymbol, SyntaxNode or Compilation, so that
// an unrelated edit produces an equal model and every step after the parser is served from the cache.

/// <summary>What one [KafkaTopic] target produced: its handlers, the JSON types they need, and the problems found.</summary>
internal sealed record HandlerTargetResult(
    EquatableArray<HandlerModel> Handlers,
    EquatableArray<JsonTypeModel> JsonTypes,
    EquatableArray<DiagnosticInfo> Diagnostics);

internal enum MessageFormat
{
    Json = 0,
    Protobuf = 1,
    AvroSpecific = 2,
    AvroSchema = 3,
}

internal enum ReturnKind
{
    Void = 0,
    Task = 1,
    ValueTask = 2,
}

internal enum HandlerArgument
{
    Message = 0,
    Context = 1,
    CancellationToken = 2,
    Key = 3,
}

internal sealed record HandlerModel(
    string Topic,
    string? GroupId,
    int ErrorPolicy,
    int WireFormat,
    int MaxBatchSize,
    string HandlerTypeName,
    string HandlerTypeDisplay,
    string MethodName,
    bool IsStatic,
    bool IsBatch,
    MessageModel Message,
    KeyModel? Key,
    EquatableArray<HandlerArgument> Arguments,
    ReturnKind Returns,
    FactoryModel? Factory,
    bool IsMessageBatch = false,
    int Ordering = 0,
    int MaxConcurrency = 0,
    int MaxBatchWaitMs = 0)
{
    /// <summary>Deterministic order of handlers in the emitted catalog.</summary>
    public string SortKey => $"{GroupId ?? ""}\u0001{Topic}\u0001{HandlerTypeDisplay}\u0001{MethodName}";
}

internal sealed record MessageModel(string TypeName, string Display, MessageFormat Format, bool AcceptsNull, string Id)
{
    /// <summary>For an Apache.Avro ISpecificRecord the generator decodes itself: its schema and types (issue 14).</summary>
    public Avro.SpecificRecordModel? Specific { get; init; }

    /// <summary>For an ISpecificRecord it does not: why (Apache.Avro's SpecificDatumReader is used instead).</summary>
    public string? SpecificUnsupported { get; init; }
}

/// <summary>A [KafkaKey] parameter: its type and the built-in deserializer (a property name of TypedKafka.Deserializers).</summary>
internal sealed record KeyModel(string TypeName, string Deserializer);

internal sealed record FactoryModel(EquatableArray<DependencyModel> Parameters);

internal sealed record DependencyModel(string TypeName, bool Optional, string? DefaultLiteral, bool IsServiceProvider);

internal enum JsonKind
{
    Primitive = 0,
    NullableValue = 1,
    Enum = 2,
    Object = 3,
    List = 4,
    Array = 5,
    Dictionary = 6,
}

/// <summary>One type the JSON deserializers read. Types refer to each other by <see cref="Id"/>.</summary>
internal sealed record JsonTypeModel(
    string Id,
    string TypeName,
    string Display,
    JsonKind Kind,
    bool IsValueType,
    string? Primitive,
    string? ElementId,
    string? ElementTypeName,
    EquatableArray<EnumMemberModel> EnumMembers,
    string? EnumUnderlying,
    bool IsFlags,
    JsonObjectModel? Object);

internal sealed record EnumMemberModel(string Name, string JsonName);

internal sealed record JsonObjectModel(
    int NamingPolicy,
    EquatableArray<JsonMemberModel> Members,
    bool IsStruct,
    LocationInfo? Location);

internal enum MemberAssignment
{
    /// <summary>Only through the constructor.</summary>
    ConstructorOnly = 0,

    /// <summary>Assigned after construction when present.</summary>
    Setter = 1,

    /// <summary>An init accessor: called after construction only when the property is present (through an
    /// <c>[UnsafeAccessor]</c> to its init accessor, no reflection), so a missing property keeps its initializer's value,
    /// as System.Text.Json's reflection-based serializer does (its source-generated metadata loses it).</summary>
    Init = 2,

    /// <summary>A C# required member: always in the object initializer.</summary>
    RequiredInit = 3,
}

internal sealed record JsonMemberModel(
    string Name,
    string? ExplicitJsonName,
    string TypeId,
    string DeclaredTypeName,
    bool IsReferenceType,
    int ConstructorIndex,
    string? ConstructorDefault,
    MemberAssignment Assignment,
    bool IsRequired,
    string? InitAccessorTarget = null);
