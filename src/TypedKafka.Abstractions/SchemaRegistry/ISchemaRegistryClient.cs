namespace TypedKafka.SchemaRegistry;

/// <summary>
/// A Confluent-compatible Schema Registry as the decoders see it: the schema registered under an id. Implementations
/// cache what they fetched, so each id is asked for once. <see cref="SchemaRegistryClient"/> speaks the REST API.
/// </summary>
public interface ISchemaRegistryClient
{
    /// <summary>The schema with this id, from the cache or fetched (blocking: decoders run synchronously on the record's
    /// bytes, and a fetch happens once per id).</summary>
    /// <exception cref="SchemaRegistryException">The registry did not answer (<see cref="SchemaRegistryException.IsRetriable"/>)
    /// or has no such schema.</exception>
    RegisteredSchema GetSchema(int id);

    /// <summary>The schema with this id, from the cache or fetched.</summary>
    Task<RegisteredSchema> GetSchemaAsync(int id, CancellationToken cancellationToken = default);

    /// <summary>The schema with this GUID (the content identifier Confluent's newer serializers put in the
    /// <c>__value_schema_id</c> header), from the cache or fetched (<c>GET /schemas/guids/{guid}</c>); blocking, as
    /// <see cref="GetSchema(int)"/>.</summary>
    RegisteredSchema GetSchema(Guid guid);
}

/// <summary>A schema as the registry stores it.</summary>
/// <param name="Id">The global schema id (the one in the Confluent framing).</param>
/// <param name="SchemaType">AVRO, PROTOBUF or JSON (the registry omits it for Avro).</param>
/// <param name="Schema">The schema text.</param>
/// <param name="References">Other schemas this one imports (name, subject, version).</param>
public sealed record RegisteredSchema(int Id, string SchemaType, string Schema, IReadOnlyList<SchemaReference> References)
{
    /// <summary>For results of subject/version look-ups: the subject and version; null for look-ups by id.</summary>
    public string? Subject { get; init; }

    public int? Version { get; init; }
}

/// <summary>A reference from one registered schema to another.</summary>
public sealed record SchemaReference(string Name, string Subject, int Version);

/// <summary>A Schema Registry request failed.</summary>
public sealed class SchemaRegistryException : Exception
{
    public SchemaRegistryException(string message, bool isRetriable, int statusCode = 0, int errorCode = 0, Exception? inner = null)
        : base(message, inner)
    {
        IsRetriable = isRetriable;
        StatusCode = statusCode;
        ErrorCode = errorCode;
    }

    /// <summary>True when the registry was unreachable, slow or answered 5xx/429 (after the client's own retries):
    /// the record is handled again later rather than treated as undecodable. False for answers such as 404
    /// "schema not found", which will not change.</summary>
    public bool IsRetriable { get; }

    /// <summary>The HTTP status, 0 when there was no answer.</summary>
    public int StatusCode { get; }

    /// <summary>The registry's <c>error_code</c> (e.g. 40403 schema not found), 0 when none.</summary>
    public int ErrorCode { get; }
}
