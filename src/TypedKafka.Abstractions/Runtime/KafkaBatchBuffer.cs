namespace TypedKafka;

/// <summary>
/// Feeds a batch handler: the hosting <see cref="Add"/>s the records of one batch (deserialized at once, so the spans
/// need not outlive the call), then <see cref="InvokeAsync"/>s the handler (again with the same messages when a call
/// failed: a batch is retried as a whole) and <see cref="Clear"/>s the buffer once the batch is done. One instance per
/// batch in progress; not thread-safe.
/// </summary>
public abstract class KafkaBatchBuffer
{
    public abstract int Count { get; }

    /// <summary>Deserializes one record into the batch. <paramref name="context"/> describes the record and is only
    /// valid during this call (the <c>KafkaMessage&lt;T&gt;</c> form copies it).</summary>
    /// <exception cref="RecordDeserializationException">The record could not be deserialized; the buffer is unchanged.</exception>
    public abstract void Add(ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull, MessageContext context);

    /// <summary>Calls the handler with the buffered messages. <paramref name="context"/> describes the last record of the batch.</summary>
    public abstract ValueTask InvokeAsync(MessageContext context, IServiceProvider services, CancellationToken cancellationToken);

    public abstract void Clear();
}

/// <summary>The buffer of a batch handler taking <c>IReadOnlyList&lt;T&gt;</c> (values only).</summary>
public sealed class KafkaBatchBuffer<T> : KafkaBatchBuffer
{
    private readonly List<T> _messages = new();
    private readonly IDeserializer<T> _deserializer;
    private readonly bool _acceptsNull;
    private readonly Func<IReadOnlyList<T>, MessageContext, IServiceProvider, CancellationToken, ValueTask> _handler;

    public KafkaBatchBuffer(
        IDeserializer<T> deserializer,
        bool acceptsNull,
        Func<IReadOnlyList<T>, MessageContext, IServiceProvider, CancellationToken, ValueTask> handler)
    {
        _deserializer = deserializer ?? throw new ArgumentNullException(nameof(deserializer));
        _acceptsNull = acceptsNull;
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
    }

    public override int Count => _messages.Count;

    public override void Add(ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull, MessageContext context)
    {
        T message = KafkaHandlerRuntime.DeserializeValue(_deserializer, _acceptsNull, key, keyIsNull, value, valueIsNull, context);
        _messages.Add(message);
    }

    public override ValueTask InvokeAsync(MessageContext context, IServiceProvider services, CancellationToken cancellationToken) =>
        _handler(_messages, context, services, cancellationToken);

    public override void Clear() => _messages.Clear();
}

/// <summary>The buffer of a batch handler taking <c>IReadOnlyList&lt;KafkaMessage&lt;T&gt;&gt;</c>: each message keeps
/// its own <see cref="MessageContext"/> (a copy, key bytes included, valid after the call).</summary>
public sealed class KafkaMessageBatchBuffer<T> : KafkaBatchBuffer
{
    private readonly List<KafkaMessage<T>> _messages = new();
    private readonly IDeserializer<T> _deserializer;
    private readonly bool _acceptsNull;
    private readonly Func<IReadOnlyList<KafkaMessage<T>>, MessageContext, IServiceProvider, CancellationToken, ValueTask> _handler;

    public KafkaMessageBatchBuffer(
        IDeserializer<T> deserializer,
        bool acceptsNull,
        Func<IReadOnlyList<KafkaMessage<T>>, MessageContext, IServiceProvider, CancellationToken, ValueTask> handler)
    {
        _deserializer = deserializer ?? throw new ArgumentNullException(nameof(deserializer));
        _acceptsNull = acceptsNull;
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
    }

    public override int Count => _messages.Count;

    public override void Add(ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull, MessageContext context)
    {
        T message = KafkaHandlerRuntime.DeserializeValue(_deserializer, _acceptsNull, key, keyIsNull, value, valueIsNull, context);
        var own = new MessageContext(context.Topic, context.Partition, context.Offset, context.Timestamp, context.Headers,
            keyIsNull ? ReadOnlyMemory<byte>.Empty : key.ToArray(), context.GroupId)
        {
            SchemaRegistry = context.SchemaRegistry,
        };
        _messages.Add(new KafkaMessage<T>(message, own));
    }

    public override ValueTask InvokeAsync(MessageContext context, IServiceProvider services, CancellationToken cancellationToken) =>
        _handler(_messages, context, services, cancellationToken);

    public override void Clear() => _messages.Clear();
}

/// <summary>One message of a batch handler's <c>IReadOnlyList&lt;KafkaMessage&lt;T&gt;&gt;</c>: the value and its own context.</summary>
public sealed class KafkaMessage<T>
{
    public KafkaMessage(T value, MessageContext context)
    {
        Value = value;
        Context = context ?? throw new ArgumentNullException(nameof(context));
    }

    public T Value { get; }

    /// <summary>This message's own context (topic, partition, offset, timestamp, headers, key bytes); valid after the call.</summary>
    public MessageContext Context { get; }

    public override string ToString() => $"{Context}: {Value}";
}
