namespace TypedKafka;

/// <summary>
/// Selects how C# property names map to JSON property names for the generated JSON deserializers, like
/// System.Text.Json's <c>JsonSerializerOptions.PropertyNamingPolicy</c>. On the assembly it applies to every
/// message type; on a type it applies to that type's own properties (nested types keep their own or the assembly's).
/// <c>[JsonPropertyName]</c> on a property always wins.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly | AttributeTargets.Class | AttributeTargets.Struct)]
public sealed class KafkaJsonNamingAttribute(KafkaJsonNamingPolicy policy) : Attribute
{
    public KafkaJsonNamingPolicy Policy { get; } = policy;
}

/// <summary>The naming policies of System.Text.Json's <c>JsonNamingPolicy</c>, applied at compile time.</summary>
public enum KafkaJsonNamingPolicy
{
    /// <summary>The C# name as written (System.Text.Json's default).</summary>
    None = 0,
    CamelCase = 1,
    SnakeCaseLower = 2,
    SnakeCaseUpper = 3,
    KebabCaseLower = 4,
    KebabCaseUpper = 5,
}

/// <summary>
/// Binds a partial class to an Avro schema file (an <c>AdditionalFiles</c> item whose path ends with <see cref="SchemaFile"/>).
/// The generator adds a property for every schema field the class does not declare, and a binary decoder; a property
/// the class declares must have the type the schema implies (TK0007 otherwise).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class AvroSchemaAttribute(string schemaFile) : Attribute
{
    public string SchemaFile { get; } = schemaFile;
}
