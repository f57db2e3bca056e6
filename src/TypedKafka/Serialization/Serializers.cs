using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace TypedKafka;

/// <summary>The built-in serializers, byte-compatible with Kafka's Java serializers and with <see cref="Deserializers"/>.</summary>
public static class Serializers
{
    /// <summary>The bytes as they are; null for a null array.</summary>
    public static ISerializer<byte[]?> ByteArray { get; } = new ByteArraySerializer();

    /// <summary>The bytes as they are (an empty memory is an empty key/value, not a null one).</summary>
    public static ISerializer<ReadOnlyMemory<byte>> Memory { get; } = new MemorySerializer();

    /// <summary>UTF-8 text (Kafka's StringSerializer); null for a null string.</summary>
    public static ISerializer<string?> Utf8 { get; } = new Utf8Serializer();

    /// <summary>A 4-byte big-endian integer (Kafka's IntegerSerializer).</summary>
    public static ISerializer<int> Int32 { get; } = new Int32Serializer();

    /// <summary>An 8-byte big-endian integer (Kafka's LongSerializer).</summary>
    public static ISerializer<long> Int64 { get; } = new Int64Serializer();

    /// <summary>A UUID as 16 bytes in RFC 4122 (big-endian) order.</summary>
    public static ISerializer<Guid> Guid { get; } = new GuidSerializer();

    /// <summary>Always a null key/value.</summary>
    public static ISerializer<Null> Null { get; } = new NullSerializer<Null>();

    /// <summary>Always a null key/value.</summary>
    public static ISerializer<Ignore> Ignore { get; } = new NullSerializer<Ignore>();

    /// <summary>The built-in serializer for <typeparamref name="T"/>, or null when there is none.</summary>
    internal static ISerializer<T>? Default<T>()
    {
        object? s = typeof(T) == typeof(byte[]) ? ByteArray
            : typeof(T) == typeof(ReadOnlyMemory<byte>) ? Memory
            : typeof(T) == typeof(string) ? Utf8
            : typeof(T) == typeof(int) ? Int32
            : typeof(T) == typeof(long) ? Int64
            : typeof(T) == typeof(Guid) ? Guid
            : typeof(T) == typeof(Null) ? Null
            : typeof(T) == typeof(Ignore) ? Ignore
            : null;
        return s as ISerializer<T>;
    }

    private sealed class ByteArraySerializer : ISerializer<byte[]?>
    {
        public bool Serialize(byte[]? data, IBufferWriter<byte> output, in SerializationContext context)
        {
            if (data is null) return false;
            output.Write(data);
            return true;
        }
    }

    private sealed class MemorySerializer : ISerializer<ReadOnlyMemory<byte>>
    {
        public bool Serialize(ReadOnlyMemory<byte> data, IBufferWriter<byte> output, in SerializationContext context)
        {
            output.Write(data.Span);
            return true;
        }
    }

    private sealed class Utf8Serializer : ISerializer<string?>
    {
        public bool Serialize(string? data, IBufferWriter<byte> output, in SerializationContext context)
        {
            if (data is null) return false;
            var size = Encoding.UTF8.GetByteCount(data);
            var written = Encoding.UTF8.GetBytes(data, output.GetSpan(size));
            output.Advance(written);
            return true;
        }
    }

    private sealed class Int32Serializer : ISerializer<int>
    {
        public bool Serialize(int data, IBufferWriter<byte> output, in SerializationContext context)
        {
            BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), data);
            output.Advance(4);
            return true;
        }
    }

    private sealed class Int64Serializer : ISerializer<long>
    {
        public bool Serialize(long data, IBufferWriter<byte> output, in SerializationContext context)
        {
            BinaryPrimitives.WriteInt64BigEndian(output.GetSpan(8), data);
            output.Advance(8);
            return true;
        }
    }

    private sealed class GuidSerializer : ISerializer<Guid>
    {
        public bool Serialize(Guid data, IBufferWriter<byte> output, in SerializationContext context)
        {
            if (!data.TryWriteBytes(output.GetSpan(16), bigEndian: true, out var written)) throw new InvalidOperationException("A Guid takes 16 bytes.");
            output.Advance(written);
            return true;
        }
    }

    private sealed class NullSerializer<T> : ISerializer<T>
    {
        public bool Serialize(T data, IBufferWriter<byte> output, in SerializationContext context) => false;
    }
}

/// <summary>The type argument for keys or values that are always null (e.g. records without a key).</summary>
public readonly struct Null : IEquatable<Null>
{
    /// <summary>Every <see cref="Null"/> equals every other.</summary>
    public bool Equals(Null other) => true;

    /// <summary>True for any boxed <see cref="Null"/>.</summary>
    public override bool Equals(object? obj) => obj is Null;

    /// <summary>The same for every value: 0.</summary>
    public override int GetHashCode() => 0;

    /// <summary>Always true.</summary>
    public static bool operator ==(Null left, Null right) => true;

    /// <summary>Always false.</summary>
    public static bool operator !=(Null left, Null right) => false;
}
