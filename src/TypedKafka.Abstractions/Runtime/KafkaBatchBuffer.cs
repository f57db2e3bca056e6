namespace TypedKafka;

/// <summary>
/// Feeds a batch handler: the hosting <see cref="Add"/>s each record of a poll (deserialized at once, so the spans need
/// not outlive the call), then <see cref="InvokeAsync"/>s the handler once and <see cref="Clear"/>s the buffer when the
/// returned task has completed. One instance per partition worker; not thread-safe.
/// </summary>
public abstract class KafkaBatchBuffer
{
    public abstract int Count { get; }

    /// <exception cref="RecordDeserializationException">The record could not be deserialized; the buffer is unchanged.</exception>
    public abstract void Add(ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull, MessageContext context);

    /// <summary>Calls the handler with the buffered messages. <paramref name="context"/> describes the last record of the batch.</summary>
    public abstract ValueTask InvokeAsync(MessageContext context, IServiceProvider services, CancellationToken cancellationToken);

    public abstract void Clear();
}

/// <summary>The buffer of a batch handler for messages of type <typeparamref name="T"/>.</summary>
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
