namespace TypedKafka;

/// <summary>
/// Binds a handler to a topic. On a method: that method handles the topic. On a class: every public
/// <c>Handle</c>/<c>HandleAsync</c> method of the class does. May be repeated to bind several topics.
/// </summary>
/// <remarks>
/// The message type (the handler's first parameter, or the <c>T</c> of an <c>IReadOnlyList&lt;T&gt;</c> batch parameter)
/// decides the format: a Google.Protobuf <c>IMessage&lt;T&gt;</c> is Protobuf, an Avro <c>ISpecificRecord</c> or a type
/// marked <see cref="AvroSchemaAttribute"/> is Avro, anything else is JSON.
/// </remarks>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = true)]
public sealed class KafkaTopicAttribute(string topic) : Attribute
{
    /// <summary>The topic name (Kafka's rules: 1 to 249 characters of [a-zA-Z0-9._-], not "." or "..").</summary>
    public string Topic { get; } = topic;

    /// <summary>The consumer group that runs this handler; null = the default group of the hosting options.</summary>
    public string? GroupId { get; init; }

    /// <summary>What the hosting does with a record whose key or value cannot be deserialized. Default: <see cref="DeserializationErrorPolicy.Stop"/>.</summary>
    public DeserializationErrorPolicy OnDeserializationError { get; init; }

    /// <summary>Whether the value carries the Confluent Schema Registry prefix. Default: <see cref="KafkaWireFormat.Auto"/>.</summary>
    public KafkaWireFormat WireFormat { get; init; }

    /// <summary>Which records of this handler may run at the same time. Default: <see cref="KafkaOrdering.Partition"/>.
    /// Batch handlers always use <see cref="KafkaOrdering.Partition"/>.</summary>
    public KafkaOrdering Ordering { get; init; }

    /// <summary>The most records of this handler in flight at once per group member; 0 = the default: every assigned
    /// partition for <see cref="KafkaOrdering.Partition"/>, 64 for <see cref="KafkaOrdering.Key"/> and
    /// <see cref="KafkaOrdering.Unordered"/>.</summary>
    public int MaxConcurrency { get; init; }

    /// <summary>For batch handlers (<c>IReadOnlyList&lt;T&gt;</c> or <c>IReadOnlyList&lt;KafkaMessage&lt;T&gt;&gt;</c>): the most
    /// records handed to one call; 0 = 500.</summary>
    public int MaxBatchSize { get; init; }

    /// <summary>For batch handlers: how long a partial batch waits for more records before it is handed over, in
    /// milliseconds; 0 = hand over what is there.</summary>
    public int MaxBatchWaitMs { get; init; }
}

/// <summary>Which records of one handler may be handled at the same time.</summary>
public enum KafkaOrdering
{
    /// <summary>One record at a time per partition, in offset order; different partitions at the same time.</summary>
    Partition = 0,

    /// <summary>One record at a time per key (equal key bytes; all null keys of a partition are one key), in offset
    /// order; different keys at the same time.</summary>
    Key = 1,

    /// <summary>Any record beside any other.</summary>
    Unordered = 2,
}

/// <summary>Marks the handler parameter that receives the record's key (string, byte[], int, long or Guid, read by the built-in <see cref="Deserializers"/>).</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class KafkaKeyAttribute : Attribute
{
}

/// <summary>What happens to a record whose key or value cannot be deserialized.</summary>
public enum DeserializationErrorPolicy
{
    /// <summary>The consumer stops at the record (its offset is not committed) and the <see cref="RecordDeserializationException"/> surfaces.</summary>
    Stop = 0,

    /// <summary>The record is logged and skipped: its offset counts as processed.</summary>
    Skip = 1,
}

/// <summary>Whether record values carry the Confluent Schema Registry framing (magic byte 0, 4-byte big-endian schema id, and for Protobuf message indexes).</summary>
public enum KafkaWireFormat
{
    /// <summary>
    /// Protobuf: a value starting with byte 0 is framed (a plain Protobuf message never starts with 0: field number 0 is invalid).
    /// Avro: a value starting with byte 0 of at least 5 bytes is decoded as framed first; when that fails or leaves bytes, as plain.
    /// JSON: a value starting with byte 0 and at least 5 bytes long is framed (JSON text never starts with byte 0).
    /// </summary>
    Auto = 0,

    /// <summary>Every value is framed; a value without the prefix is a deserialization error.</summary>
    Confluent = 1,

    /// <summary>Values are never framed; the bytes are the message.</summary>
    Plain = 2,
}

/// <summary>The format the generator chose for a message type.</summary>
public enum KafkaMessageFormat
{
    Json = 0,
    Protobuf = 1,
    Avro = 2,
}
