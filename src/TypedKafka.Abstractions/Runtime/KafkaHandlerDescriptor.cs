namespace TypedKafka;

/// <summary>
/// Runs one handler for one record. The spans are only valid during the synchronous part of the call: the invoker
/// deserializes them before it calls the handler, so the returned task never touches them.
/// </summary>
/// <returns>A completed task for synchronous handlers (no allocation), the handler's task otherwise.</returns>
/// <exception cref="RecordDeserializationException">The key or value could not be deserialized (or was null for a
/// handler that does not accept null); the hosting applies <see cref="KafkaHandlerDescriptor.OnDeserializationError"/>.</exception>
public delegate ValueTask KafkaRecordInvoker(
    ReadOnlySpan<byte> key, bool keyIsNull,
    ReadOnlySpan<byte> value, bool valueIsNull,
    MessageContext context, IServiceProvider services, CancellationToken cancellationToken);

/// <summary>One generated handler binding: which topic and group, which message type and format, and how to run it.</summary>
public sealed class KafkaHandlerDescriptor
{
    public KafkaHandlerDescriptor(
        string topic,
        string? groupId,
        Type messageType,
        Type? keyType,
        KafkaMessageFormat format,
        Type handlerType,
        string handlerMethod,
        DeserializationErrorPolicy onDeserializationError,
        KafkaWireFormat wireFormat,
        object valueDeserializer,
        KafkaRecordInvoker? invoker,
        Func<KafkaBatchBuffer>? createBatchBuffer = null,
        int maxBatchSize = 0,
        KafkaOrdering ordering = KafkaOrdering.Partition,
        int maxConcurrency = 0,
        int maxBatchWaitMs = 0)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(messageType);
        ArgumentNullException.ThrowIfNull(handlerType);
        ArgumentNullException.ThrowIfNull(handlerMethod);
        ArgumentNullException.ThrowIfNull(valueDeserializer);
        if ((invoker is null) == (createBatchBuffer is null))
            throw new ArgumentException("A handler has exactly one of a record invoker and a batch buffer factory.", nameof(invoker));
        Topic = topic;
        GroupId = groupId;
        MessageType = messageType;
        KeyType = keyType;
        Format = format;
        HandlerType = handlerType;
        HandlerMethod = handlerMethod;
        OnDeserializationError = onDeserializationError;
        WireFormat = wireFormat;
        ValueDeserializer = valueDeserializer;
        Invoker = invoker;
        CreateBatchBuffer = createBatchBuffer;
        MaxBatchSize = maxBatchSize;
        Ordering = ordering;
        MaxConcurrency = maxConcurrency;
        MaxBatchWaitMs = maxBatchWaitMs;
    }

    public string Topic { get; }

    /// <summary>The group from <see cref="KafkaTopicAttribute.GroupId"/>; null = the hosting's default group.</summary>
    public string? GroupId { get; }

    /// <summary>The message type (for a batch handler, the element type).</summary>
    public Type MessageType { get; }

    /// <summary>The type of the <see cref="KafkaKeyAttribute"/> parameter, or null when the handler ignores the key.</summary>
    public Type? KeyType { get; }

    public KafkaMessageFormat Format { get; }

    public Type HandlerType { get; }

    public string HandlerMethod { get; }

    /// <summary>"Namespace.Type.Method", for logs.</summary>
    public string DisplayName => $"{HandlerType.FullName}.{HandlerMethod}";

    public DeserializationErrorPolicy OnDeserializationError { get; }

    public KafkaWireFormat WireFormat { get; }

    /// <summary>The generated <c>IDeserializer&lt;T&gt;</c> of <see cref="MessageType"/> (T = <see cref="MessageType"/>).</summary>
    public object ValueDeserializer { get; }

    /// <summary>True for a handler taking <c>IReadOnlyList&lt;T&gt;</c>: use <see cref="CreateBatchBuffer"/>, not <see cref="Invoker"/>.</summary>
    public bool IsBatch => CreateBatchBuffer is not null;

    /// <summary>Runs the handler for one record; null for batch handlers.</summary>
    public KafkaRecordInvoker? Invoker { get; }

    /// <summary>Creates the buffer a batch handler is fed through (one per batch in progress); null for record handlers.</summary>
    public Func<KafkaBatchBuffer>? CreateBatchBuffer { get; }

    /// <summary>For batch handlers: the most records per call, from <see cref="KafkaTopicAttribute.MaxBatchSize"/>; 0 = 500.</summary>
    public int MaxBatchSize { get; }

    /// <summary>From <see cref="KafkaTopicAttribute.Ordering"/>.</summary>
    public KafkaOrdering Ordering { get; }

    /// <summary>From <see cref="KafkaTopicAttribute.MaxConcurrency"/>; 0 = the ordering's default.</summary>
    public int MaxConcurrency { get; }

    /// <summary>For batch handlers: from <see cref="KafkaTopicAttribute.MaxBatchWaitMs"/>; 0 = no wait.</summary>
    public int MaxBatchWaitMs { get; }

    public override string ToString() => $"{Topic} ({GroupId ?? "<default group>"}) -> {DisplayName} [{Format}]";
}
