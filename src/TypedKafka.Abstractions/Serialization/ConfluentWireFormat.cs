using System.Buffers.Binary;

namespace TypedKafka;

/// <summary>
/// The Confluent Schema Registry framing: magic byte 0, a 4-byte big-endian schema id, then (Protobuf only) the
/// message indexes, then the serialized message. The message indexes are a zig-zag varint count followed by that
/// many zig-zag varint indexes; the single byte 0 (count 0) stands for [0], the first message of the schema.
/// </summary>
public static class ConfluentWireFormat
{
    public const byte MagicByte = 0;

    /// <summary>Magic byte plus schema id.</summary>
    public const int HeaderSize = 5;

    /// <summary>The header Confluent's serializers (Schema ID serializer strategy "Header") use for a value's schema id.</summary>
    public const string ValueSchemaIdHeader = "__value_schema_id";

    /// <summary>The header for a key's schema id.</summary>
    public const string KeySchemaIdHeader = "__key_schema_id";

    /// <summary>
    /// Finds the schema id header (<see cref="ValueSchemaIdHeader"/> or <see cref="KeySchemaIdHeader"/>): byte 1 then the
    /// schema's 16-byte GUID in RFC 4122 (big-endian) order, or byte 0 then a 4-byte big-endian id; for Protobuf the
    /// message indexes follow. When present, the record's payload carries no prefix. The last such header wins.
    /// </summary>
    /// <returns>True when the header is present and well formed; <paramref name="guid"/> is <see cref="Guid.Empty"/> for an id.</returns>
    /// <exception cref="InvalidDataException">The header is present but malformed.</exception>
    public static bool TryReadSchemaIdHeader(IReadOnlyList<Header> headers, bool isKey, out int schemaId, out Guid guid)
    {
        schemaId = 0;
        guid = Guid.Empty;
        string name = isKey ? KeySchemaIdHeader : ValueSchemaIdHeader;
        ReadOnlySpan<byte> value = default;
        bool found = false;
        for (int i = 0; i < headers.Count; i++)
        {
            if (headers[i].Key == name)
            {
                value = headers[i].Value.Span;
                found = true;
            }
        }

        if (!found)
            return false;
        if (value.Length >= 17 && value[0] == 1)
        {
            guid = new Guid(value.Slice(1, 16), bigEndian: true);
            return true;
        }

        if (value.Length >= HeaderSize && value[0] == MagicByte)
        {
            schemaId = BinaryPrimitives.ReadInt32BigEndian(value.Slice(1));
            return true;
        }

        throw new InvalidDataException($"The {name} header ({value.Length} bytes, first byte {(value.IsEmpty ? "none" : value[0].ToString(System.Globalization.CultureInfo.InvariantCulture))}) is neither 1 + a 16-byte GUID nor 0 + a 4-byte schema id.");
    }

    /// <summary>Reads the Avro/JSON framing: true when <paramref name="data"/> starts with byte 0 and is at least 5 bytes long.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> data, out int schemaId, out ReadOnlySpan<byte> payload)
    {
        if (data.Length < HeaderSize || data[0] != MagicByte)
        {
            schemaId = 0;
            payload = default;
            return false;
        }

        schemaId = BinaryPrimitives.ReadInt32BigEndian(data.Slice(1));
        payload = data.Slice(HeaderSize);
        return true;
    }

    /// <summary>
    /// Reads the Protobuf framing: the header, then well-formed message indexes (a count of at most 1024, each index
    /// non-negative). <paramref name="messageIndexes"/> are the raw index bytes, decodable with <see cref="DecodeMessageIndexes"/>.
    /// </summary>
    public static bool TryReadProtobufHeader(ReadOnlySpan<byte> data, out int schemaId, out ReadOnlySpan<byte> messageIndexes, out ReadOnlySpan<byte> payload)
    {
        messageIndexes = default;
        if (!TryReadHeader(data, out schemaId, out var rest))
        {
            payload = default;
            return false;
        }

        int position = 0;
        if (!TryReadZigZagVarint(rest, ref position, out long count) || count < 0 || count > 1024)
        {
            payload = default;
            return false;
        }

        for (long i = 0; i < count; i++)
        {
            if (!TryReadZigZagVarint(rest, ref position, out long index) || index < 0 || index > int.MaxValue)
            {
                payload = default;
                return false;
            }
        }

        messageIndexes = rest.Slice(0, position);
        payload = rest.Slice(position);
        return true;
    }

    /// <summary>The message indexes of a Protobuf frame ([0] for the single byte 0).</summary>
    public static int[] DecodeMessageIndexes(ReadOnlySpan<byte> messageIndexes)
    {
        int position = 0;
        if (!TryReadZigZagVarint(messageIndexes, ref position, out long count) || count < 0 || count > 1024)
            throw new FormatException("Malformed Confluent Protobuf message indexes.");
        if (count == 0)
            return [0];
        var result = new int[count];
        for (int i = 0; i < result.Length; i++)
        {
            if (!TryReadZigZagVarint(messageIndexes, ref position, out long index) || index < 0 || index > int.MaxValue)
                throw new FormatException("Malformed Confluent Protobuf message indexes.");
            result[i] = (int)index;
        }

        return result;
    }

    private static bool TryReadZigZagVarint(ReadOnlySpan<byte> data, ref int position, out long value)
    {
        ulong raw = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (position >= data.Length)
            {
                value = 0;
                return false;
            }

            byte b = data[position++];
            raw |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                value = (long)(raw >> 1) ^ -(long)(raw & 1);
                return true;
            }
        }

        value = 0;
        return false;
    }
}

/// <summary>Helpers the generated Protobuf deserializers call. Not meant for application code.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class KafkaProtobuf
{
    /// <summary>
    /// The Protobuf message bytes of a value. With <see cref="KafkaWireFormat.Auto"/> a value whose first byte is 0 is a
    /// Confluent frame (a serialized Protobuf message cannot start with 0: that would be field number 0, which is invalid),
    /// and a first byte 0 without a well-formed frame is an error; any other first byte means a plain message.
    /// </summary>
    public static ReadOnlySpan<byte> Unframe(ReadOnlySpan<byte> data, KafkaWireFormat format)
    {
        if (format == KafkaWireFormat.Plain)
            return data;
        if (format == KafkaWireFormat.Auto && (data.IsEmpty || data[0] != ConfluentWireFormat.MagicByte))
            return data;
        if (!ConfluentWireFormat.TryReadProtobufHeader(data, out _, out _, out var payload))
            throw new InvalidDataException("The value starts with byte 0 but is not a well-formed Confluent Protobuf frame (magic byte, 4-byte schema id, message indexes).");
        return payload;
    }

    /// <summary>
    /// As <see cref="Unframe(ReadOnlySpan{byte}, KafkaWireFormat)"/>, and the frame's message indexes must name the
    /// handler's message type (<paramref name="expectedIndexes"/>: its index in the .proto file, then in each enclosing
    /// message): a frame naming another message of the schema is an error, not a misread.
    /// </summary>
    public static ReadOnlySpan<byte> Unframe(ReadOnlySpan<byte> data, KafkaWireFormat format, ReadOnlySpan<int> expectedIndexes, string messageName)
    {
        if (format == KafkaWireFormat.Plain)
            return data;
        if (format == KafkaWireFormat.Auto && (data.IsEmpty || data[0] != ConfluentWireFormat.MagicByte))
            return data;
        if (!ConfluentWireFormat.TryReadProtobufHeader(data, out int schemaId, out var indexes, out var payload))
            throw new InvalidDataException("The value starts with byte 0 but is not a well-formed Confluent Protobuf frame (magic byte, 4-byte schema id, message indexes).");
        if (!IndexesEqual(indexes, expectedIndexes))
        {
            throw new InvalidDataException(
                $"The Confluent frame names message [{string.Join(", ", ConfluentWireFormat.DecodeMessageIndexes(indexes))}] of schema id {schemaId}; the handler reads {messageName}, which is message [{string.Join(", ", expectedIndexes.ToArray())}].");
        }

        return payload;
    }

    /// <summary>Compares encoded indexes with expected ones without allocating (the single byte 0 stands for [0]).</summary>
    private static bool IndexesEqual(ReadOnlySpan<byte> encoded, ReadOnlySpan<int> expected)
    {
        if (encoded.Length == 1 && encoded[0] == 0)
            return expected.Length == 1 && expected[0] == 0;
        int position = 0;
        long count = ReadZigZag(encoded, ref position);
        if (count != expected.Length)
            return false;
        for (int i = 0; i < expected.Length; i++)
        {
            if (ReadZigZag(encoded, ref position) != expected[i])
                return false;
        }

        return true;
    }

    /// <summary>Reads a zig-zag varint from indexes already validated by <see cref="ConfluentWireFormat.TryReadProtobufHeader"/>.</summary>
    private static long ReadZigZag(ReadOnlySpan<byte> data, ref int position)
    {
        ulong raw = 0;
        for (int shift = 0; position < data.Length; shift += 7)
        {
            byte b = data[position++];
            raw |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                break;
        }

        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }
}
