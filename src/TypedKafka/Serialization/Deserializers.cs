using System.Buffers.Binary;
using System.Text;

namespace TypedKafka;

/// <summary>The built-in deserializers, byte-compatible with Kafka's Java serializers.</summary>
public static class Deserializers
{
    /// <summary>A copy of the bytes; null for a null key/value.</summary>
    public static IDeserializer<byte[]?> ByteArray { get; } = new ByteArrayDeserializer();

    /// <summary>UTF-8 text (Kafka's StringSerializer); null for a null key/value. Invalid UTF-8 is an error, not replaced.</summary>
    public static IDeserializer<string?> Utf8 { get; } = new Utf8Deserializer();

    /// <summary>A 4-byte big-endian integer, as Kafka's IntegerSerializer writes it.</summary>
    public static IDeserializer<int> Int32 { get; } = new Int32Deserializer();

    /// <summary>An 8-byte big-endian integer, as Kafka's LongSerializer writes it.</summary>
    public static IDeserializer<long> Int64 { get; } = new Int64Deserializer();

    /// <summary>A UUID: 16 bytes in RFC 4122 (big-endian) order, or its 36-character text form as Kafka's UUIDSerializer writes it.</summary>
    public static IDeserializer<Guid> Guid { get; } = new GuidDeserializer();

    /// <summary>Skips the bytes without reading them; no allocation.</summary>
    public static IDeserializer<Ignore> Ignore { get; } = new IgnoreDeserializer();

    /// <summary>The built-in deserializer for <typeparamref name="T"/>, or null when there is none.</summary>
    internal static IDeserializer<T>? Default<T>()
    {
        object? d = typeof(T) == typeof(byte[]) ? ByteArray
            : typeof(T) == typeof(string) ? Utf8
            : typeof(T) == typeof(int) ? Int32
            : typeof(T) == typeof(long) ? Int64
            : typeof(T) == typeof(Guid) ? Guid
            : typeof(T) == typeof(Ignore) ? Ignore
            : null;
        return d as IDeserializer<T>;
    }

    private sealed class ByteArrayDeserializer : IDeserializer<byte[]?>
    {
        public byte[]? Deserialize(ReadOnlySpan<byte> data, bool isNull, in SerializationContext context) =>
            isNull ? null : data.ToArray();
    }

    private sealed class Utf8Deserializer : IDeserializer<string?>
    {
        private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

        public string? Deserialize(ReadOnlySpan<byte> data, bool isNull, in SerializationContext context) =>
            isNull ? null : Strict.GetString(data);
    }

    private sealed class Int32Deserializer : IDeserializer<int>
    {
        public int Deserialize(ReadOnlySpan<byte> data, bool isNull, in SerializationContext context)
        {
            if (isNull || data.Length != 4)
                throw new FormatException(SizeMessage("an Int32", 4, data.Length, isNull, context));
            return BinaryPrimitives.ReadInt32BigEndian(data);
        }
    }

    private sealed class Int64Deserializer : IDeserializer<long>
    {
        public long Deserialize(ReadOnlySpan<byte> data, bool isNull, in SerializationContext context)
        {
            if (isNull || data.Length != 8)
                throw new FormatException(SizeMessage("an Int64", 8, data.Length, isNull, context));
            return BinaryPrimitives.ReadInt64BigEndian(data);
        }
    }

    private sealed class GuidDeserializer : IDeserializer<Guid>
    {
        public Guid Deserialize(ReadOnlySpan<byte> data, bool isNull, in SerializationContext context)
        {
            if (!isNull && data.Length == 16)
                return new Guid(data, bigEndian: true);
            if (!isNull && data.Length == 36 && Utf8Parser(data, out var parsed))
                return parsed;
            throw new FormatException(SizeMessage("a Guid", 16, data.Length, isNull, context) + " (or 36 bytes of text)");
        }

        private static bool Utf8Parser(ReadOnlySpan<byte> data, out Guid value) =>
            System.Buffers.Text.Utf8Parser.TryParse(data, out value, out var consumed, 'D') && consumed == data.Length;
    }

    private sealed class IgnoreDeserializer : IDeserializer<Ignore>
    {
        public Ignore Deserialize(ReadOnlySpan<byte> data, bool isNull, in SerializationContext context) => default;
    }

    private static string SizeMessage(string what, int expected, int actual, bool isNull, in SerializationContext context)
    {
        var part = context.IsKey ? "key" : "value";
        var got = isNull ? "a null" : $"{actual} bytes";
        return $"Cannot read {what} from the {part} of a record in {context.Topic}-{context.Partition}: expected {expected} bytes, got {got}.";
    }
}
