using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace TypedKafka;

/// <summary>Helpers the generated invokers call. Not meant for application code.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class KafkaHandlerRuntime
{
    /// <summary>Deserializes a record value; any failure becomes a <see cref="RecordDeserializationException"/> carrying copies of the raw bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T DeserializeValue<T>(IDeserializer<T> deserializer, bool acceptsNull,
        ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull, MessageContext context)
    {
        T result;
        try
        {
            result = deserializer is IMessageDeserializer<T> contextual
                ? contextual.Deserialize(value, valueIsNull, context)
                : deserializer.Deserialize(value, valueIsNull, new SerializationContext(context.Topic, context.Partition, false, context.Headers));
        }
        catch (SchemaRegistry.SchemaRegistryException ex) when (ex.IsRetriable)
        {
            // The registry is down or slow: not a property of the record, so not a deserialization failure (the record is
            // handled again later instead of following the handler's deserialization policy).
            throw;
        }
        catch (Exception ex)
        {
            throw Failure(isKey: false, key, keyIsNull, value, valueIsNull, context, ex);
        }

        if (result is null && !acceptsNull)
            throw Failure(isKey: false, key, keyIsNull, value, valueIsNull, context,
                new InvalidDataException(valueIsNull
                    ? "The record has a null value (a tombstone) and the handler's message parameter is not nullable."
                    : "The value deserialized to null and the handler's message parameter is not nullable."));
        return result;
    }

    /// <summary>Deserializes a record key with a built-in deserializer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T DeserializeKey<T>(IDeserializer<T> deserializer,
        ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull, MessageContext context)
    {
        try
        {
            return deserializer.Deserialize(key, keyIsNull, new SerializationContext(context.Topic, context.Partition, true, context.Headers));
        }
        catch (Exception ex)
        {
            throw Failure(isKey: true, key, keyIsNull, value, valueIsNull, context, ex);
        }
    }

    /// <summary>Wraps a deserialization failure; the raw bytes are copied here, and only here.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static RecordDeserializationException Failure(bool isKey,
        ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull, MessageContext context, Exception inner) =>
        new(context.Topic, context.Partition, context.Offset, isKey,
            keyIsNull ? (ReadOnlyMemory<byte>?)null : key.ToArray(),
            valueIsNull ? (ReadOnlyMemory<byte>?)null : value.ToArray(),
            inner);

    /// <summary>A constructor dependency of a handler that the service provider does not have.</summary>
    [DoesNotReturn]
    public static T ThrowMissingService<T>(Type handlerType, Type serviceType) =>
        throw new InvalidOperationException(
            $"Cannot create the Kafka handler {handlerType.FullName}: no service of type {serviceType.FullName} is registered.");

    /// <summary>A handler call that returned a null task.</summary>
    public static ValueTask NullTask(Task? task, string handler) =>
        task is null ? throw new InvalidOperationException($"The Kafka handler {handler} returned a null Task.") : new ValueTask(task);
}
