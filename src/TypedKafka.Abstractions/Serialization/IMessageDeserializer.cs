namespace TypedKafka;

/// <summary>
/// A deserializer that needs more of the record's context than <see cref="SerializationContext"/> carries (the generated
/// Avro decoders: the <see cref="MessageContext.SchemaRegistry"/> that resolves writer schemas). The generated invokers
/// call this overload when the deserializer has it.
/// </summary>
public interface IMessageDeserializer<T> : IDeserializer<T>
{
    T Deserialize(ReadOnlySpan<byte> data, bool isNull, MessageContext context);
}
