using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace TypedKafka.Protocol;

/// <summary>
/// Kafka's 128-bit <c>Uuid</c> (topic ids since KIP-516, member ids since KIP-848): two big-endian
/// int64 halves on the wire. Printed like Kafka does, as 22 characters of URL-safe base64 without padding.
/// </summary>
/// <remarks>
/// <see cref="ToGuid"/> maps the 16 wire bytes, in order, to a <see cref="Guid"/> read big-endian, so
/// <c>Guid.ToString()</c> shows the bytes in wire order (the RFC 4122 form). <see cref="Guid"/>'s own
/// in-memory layout is mixed-endian, which is why this type exists instead of using it directly.
/// </remarks>
public readonly record struct KafkaUuid(long MostSignificantBits, long LeastSignificantBits)
{
    /// <summary>The all-zero id, Kafka's "no id" default.</summary>
    public static KafkaUuid Zero => default;

    /// <summary>Kafka's reserved sentinel meaning "metadata id" (0x0000…0001).</summary>
    public static KafkaUuid MetadataTopicId => new(0, 1);

    public bool IsZero => MostSignificantBits == 0 && LeastSignificantBits == 0;

    public static KafkaUuid Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadInt64BigEndian(source), BinaryPrimitives.ReadInt64BigEndian(source[8..]));

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteInt64BigEndian(destination, MostSignificantBits);
        BinaryPrimitives.WriteInt64BigEndian(destination[8..], LeastSignificantBits);
    }

    public Guid ToGuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        Write(bytes);
        return new Guid(bytes, bigEndian: true);
    }

    public static KafkaUuid FromGuid(Guid guid)
    {
        Span<byte> bytes = stackalloc byte[16];
        guid.TryWriteBytes(bytes, bigEndian: true, out _);
        return Read(bytes);
    }

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[16];
        Write(bytes);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static KafkaUuid Parse(string text)
    {
        if (!TryParse(text, out var uuid)) throw new FormatException($"'{text}' is not a Kafka Uuid (22 characters of URL-safe base64).");
        return uuid;
    }

    public static bool TryParse([NotNullWhen(true)] string? text, out KafkaUuid uuid)
    {
        uuid = default;
        if (text is null || text.Length != 22) return false;
        string padded = text.Replace('-', '+').Replace('_', '/') + "==";
        Span<byte> bytes = stackalloc byte[18];
        if (!Convert.TryFromBase64String(padded, bytes, out int written) || written != 16) return false;
        uuid = Read(bytes);
        return true;
    }
}
