using System.Buffers;

namespace TypedKafka;

/// <summary>Turns a <typeparamref name="T"/> into the bytes of a record's key or value, written into the producer's
/// buffer (no intermediate array).</summary>
public interface ISerializer<in T>
{
    /// <summary>Writes <paramref name="data"/> into <paramref name="output"/>.</summary>
    /// <returns>False for a null key/value (nothing written), which is distinct from an empty one.</returns>
    bool Serialize(T data, IBufferWriter<byte> output, in SerializationContext context);
}
