namespace TypedKafka;

/// <summary>Turns the bytes of a record's key or value into a <typeparamref name="T"/>.</summary>
public interface IDeserializer<out T>
{
    /// <summary>Deserializes one key or value.</summary>
    /// <param name="data">The bytes; only valid during the call.</param>
    /// <param name="isNull">True for a null key/value, which is distinct from an empty one.</param>
    /// <param name="context">Where the bytes come from.</param>
    T Deserialize(ReadOnlySpan<byte> data, bool isNull, in SerializationContext context);
}

/// <summary>Where the bytes given to a deserializer come from.</summary>
public readonly record struct SerializationContext(string Topic, int Partition, bool IsKey, IReadOnlyList<Header> Headers);
