namespace TypedKafka;

/// <summary>
/// What a handler may ask about the record it handles. Valid during the handler call only: the hosting reuses one
/// instance per worker (the next record it runs refills it), so a handler that needs a value later copies it (<see cref="RawKey"/> in particular
/// points into the hosting's copy of the record, reused once the record completes).
/// </summary>
public sealed class MessageContext
{
    private static readonly IReadOnlyList<Header> NoHeaders = Array.Empty<Header>();

    /// <summary>An empty context, filled per record by the hosting through <see cref="Set"/>.</summary>
    internal MessageContext()
    {
        Topic = string.Empty;
        Headers = NoHeaders;
    }

    /// <summary>A context with fixed values, for tests and for callers that invoke handlers themselves.</summary>
    public MessageContext(string topic, int partition, long offset, long timestamp = 0,
        IReadOnlyList<Header>? headers = null, ReadOnlyMemory<byte> rawKey = default, string? groupId = null)
    {
        ArgumentNullException.ThrowIfNull(topic);
        Topic = topic;
        Partition = partition;
        Offset = offset;
        Timestamp = timestamp;
        Headers = headers ?? NoHeaders;
        RawKey = rawKey;
        GroupId = groupId;
    }

    public string Topic { get; private set; }

    public int Partition { get; private set; }

    public long Offset { get; private set; }

    /// <summary>Milliseconds since the Unix epoch.</summary>
    public long Timestamp { get; private set; }

    public IReadOnlyList<Header> Headers { get; private set; }

    /// <summary>The key's bytes (empty for a null key); only valid during the handler call.</summary>
    public ReadOnlyMemory<byte> RawKey { get; private set; }

    /// <summary>The consumer group that delivered the record.</summary>
    public string? GroupId { get; private set; }

    public TopicPartition TopicPartition => new(Topic, Partition);

    /// <summary>The Schema Registry the hosting is configured with (<c>TypedKafkaOptions.SchemaRegistry</c>), through which
    /// generated Avro decoders find the writer schema of a framed value; null without one. Set once per context, not per record.</summary>
    public SchemaRegistry.ISchemaRegistryClient? SchemaRegistry { get; internal set; }

    /// <summary>Refills a reused instance for the next record, without allocating.</summary>
    internal void Set(string topic, int partition, long offset, long timestamp, IReadOnlyList<Header>? headers, ReadOnlyMemory<byte> rawKey, string? groupId)
    {
        Topic = topic;
        Partition = partition;
        Offset = offset;
        Timestamp = timestamp;
        Headers = headers ?? NoHeaders;
        RawKey = rawKey;
        GroupId = groupId;
    }

    public override string ToString() => $"{Topic}-{Partition}@{Offset}";
}
