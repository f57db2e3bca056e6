using System.Buffers.Text;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace TypedKafka;

/// <summary>
/// Token readers the generated JSON deserializers call: one per primitive, each accepting exactly the tokens that
/// System.Text.Json's built-in converter accepts with default <c>JsonSerializerOptions</c> (strict number handling,
/// no comments, no trailing commas, depth 64). Not meant for application code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class KafkaJson
{
    /// <summary>Strips the Confluent framing (magic byte 0 + 4-byte schema id) when <paramref name="format"/> says so.</summary>
    public static ReadOnlySpan<byte> Unframe(ReadOnlySpan<byte> data, KafkaWireFormat format)
    {
        switch (format)
        {
            case KafkaWireFormat.Plain:
                return data;
            case KafkaWireFormat.Confluent:
                if (!ConfluentWireFormat.TryReadHeader(data, out _, out var framed))
                    throw new JsonException("The value does not start with the Confluent Schema Registry prefix (magic byte 0 and a 4-byte schema id).");
                return framed;
            default:
                // JSON text never starts with byte 0, so a leading 0 can only be the Confluent magic byte.
                return data.Length >= ConfluentWireFormat.HeaderSize && data[0] == ConfluentWireFormat.MagicByte ? data.Slice(ConfluentWireFormat.HeaderSize) : data;
        }
    }

    /// <summary>Moves to the first token of the document.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ReadFirst(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
            ThrowJson("The JSON value is empty.");
    }

    /// <summary>Fails when anything but whitespace follows the top-level value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ReadEnd(ref Utf8JsonReader reader)
    {
        if (reader.Read())
            ThrowJson("The JSON text contains more than one top-level value.");
    }

    /// <summary>Advances one token; the document ending here is an error.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Read(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
            ThrowJson("The JSON text ends in the middle of a value.");
    }

    /// <summary>The current property name, unescaped (allocates only when the name contains escapes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> PropertyName(ref Utf8JsonReader reader) =>
        reader.ValueIsEscaped ? UnescapedName(ref reader) : reader.ValueSpan;

    private static byte[] UnescapedName(ref Utf8JsonReader reader)
    {
        var buffer = new byte[reader.ValueSpan.Length];
        int written = reader.CopyString(buffer);
        return buffer.AsSpan(0, written).ToArray();
    }

    /// <summary>Skips the value of the current property (the reader is on the property name).</summary>
    public static void SkipValue(ref Utf8JsonReader reader)
    {
        Read(ref reader);
        reader.Skip();
    }

    public static void ExpectStartObject(ref Utf8JsonReader reader, string typeName)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            ThrowUnexpected(ref reader, typeName);
    }

    public static void ExpectStartArray(ref Utf8JsonReader reader, string typeName)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            ThrowUnexpected(ref reader, typeName);
    }

    public static bool ReadBoolean(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.True: return true;
            case JsonTokenType.False: return false;
            default: ThrowUnexpected(ref reader, "Boolean"); return false;
        }
    }

    public static byte ReadByte(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Number && reader.TryGetByte(out var v) ? v : Unexpected<byte>(ref reader, "Byte");

    public static sbyte ReadSByte(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Number && reader.TryGetSByte(out var v) ? v : Unexpected<sbyte>(ref reader, "SByte");

    public static short ReadInt16(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Number && reader.TryGetInt16(out var v) ? v : Unexpected<short>(ref reader, "Int16");

    public static ushort ReadUInt16(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Number && reader.TryGetUInt16(out var v) ? v : Unexpected<ushort>(ref reader, "UInt16");

    public static int ReadInt32(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var v) ? v : Unexpected<int>(ref reader, "Int32");

    public static uint ReadUInt32(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Number && reader.TryGetUInt32(out var v) ? v : Unexpected<uint>(ref reader, "UInt32");

    public static long ReadInt64(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var v) ? v : Unexpected<long>(ref reader, "Int64");

    public static ulong ReadUInt64(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Number && reader.TryGetUInt64(out var v) ? v : Unexpected<ulong>(ref reader, "UInt64");

    public static float ReadSingle(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Number && reader.TryGetSingle(out var v) ? v : Unexpected<float>(ref reader, "Single");

    public static double ReadDouble(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var v) ? v : Unexpected<double>(ref reader, "Double");

    public static decimal ReadDecimal(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Number && reader.TryGetDecimal(out var v) ? v : Unexpected<decimal>(ref reader, "Decimal");

    /// <summary>A string, or null for the null token (System.Text.Json's default: nullability annotations are not enforced).</summary>
    public static string? ReadString(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Null => null,
        _ => Unexpected<string>(ref reader, "String"),
    };

    public static char ReadChar(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            string s = reader.GetString()!;
            if (s.Length == 1)
                return s[0];
        }

        return Unexpected<char>(ref reader, "Char");
    }

    public static Guid ReadGuid(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.String && reader.TryGetGuid(out var v) ? v : Unexpected<Guid>(ref reader, "Guid");

    public static DateTime ReadDateTime(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.String && reader.TryGetDateTime(out var v) ? v : Unexpected<DateTime>(ref reader, "DateTime");

    public static DateTimeOffset ReadDateTimeOffset(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var v) ? v : Unexpected<DateTimeOffset>(ref reader, "DateTimeOffset");

    /// <summary>"yyyy-MM-dd", as System.Text.Json's DateOnly converter.</summary>
    public static DateOnly ReadDateOnly(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            Span<char> chars = stackalloc char[64];
            var text = StringChars(in reader, chars);
            if (text.Length == 10 && DateOnly.TryParseExact(text, "yyyy'-'MM'-'dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var v))
                return v;
        }

        return Unexpected<DateOnly>(ref reader, "DateOnly");
    }

    /// <summary>The constant ("c") TimeSpan format, as System.Text.Json's TimeSpan converter.</summary>
    public static TimeSpan ReadTimeSpan(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            var span = reader.ValueSpan;
            if (span.Length > 0 && IsDigitOrMinus(span[0]) && IsDigit(span[^1])
                && Utf8Parser.TryParse(span, out TimeSpan v, out int consumed, 'c') && consumed == span.Length)
                return v;
        }
        else if (reader.TokenType == JsonTokenType.String)
        {
            Span<char> chars = stackalloc char[64];
            var text = StringChars(in reader, chars);
            if (text.Length > 0 && IsDigitOrMinus((byte)text[0]) && IsDigit((byte)text[^1])
                && TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out var v))
                return v;
        }

        return Unexpected<TimeSpan>(ref reader, "TimeSpan");
    }

    /// <summary>A time of day in the constant format without a day part, as System.Text.Json's TimeOnly converter.</summary>
    public static TimeOnly ReadTimeOnly(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            Span<char> chars = stackalloc char[64];
            var text = StringChars(in reader, chars);
            if (text.Length > 0 && IsDigit((byte)text[0]) && IsDigit((byte)text[^1]) && !text.Contains('.') == !text.Contains('.')
                && TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out var span)
                && span >= TimeSpan.Zero && span.Ticks < TimeSpan.TicksPerDay && !HasDayPart(text))
                return TimeOnly.FromTimeSpan(span);
        }

        return Unexpected<TimeOnly>(ref reader, "TimeOnly");
    }

    /// <summary>Base64 bytes, or null for the null token.</summary>
    public static byte[]? ReadBytes(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String when reader.TryGetBytesFromBase64(out var v) => v,
        _ => Unexpected<byte[]>(ref reader, "Byte[]"),
    };

    /// <summary>
    /// The slow path of an enum written as a string, after the generated code found no exact name: a case-insensitive
    /// name, a comma-separated list of names (accepted for any enum, [Flags] or not, as JsonStringEnumConverter does),
    /// or an integer in a string.
    /// </summary>
    public static TEnum ParseEnumString<TEnum>(ref Utf8JsonReader reader) where TEnum : struct, Enum
    {
        string text = reader.GetString()!;
        if (text.Length > 0 && text.AsSpan().Trim().Length == text.Length
            && Enum.TryParse<TEnum>(text, ignoreCase: true, out var value))
            return value;
        return Unexpected<TEnum>(ref reader, typeof(TEnum).Name);
    }

    /// <summary>A required property that the JSON object lacks.</summary>
    [DoesNotReturn]
    public static void ThrowMissingRequired(string typeName, string jsonNames) =>
        throw new JsonException($"JSON deserialization for type '{typeName}' was missing required properties including: {jsonNames}.");

    [DoesNotReturn]
    public static void ThrowUnexpected(ref Utf8JsonReader reader, string expected) =>
        throw new JsonException($"The JSON value {Describe(ref reader)} could not be converted to {expected}. BytePosition: {reader.TokenStartIndex}.");

    [DoesNotReturn]
    public static void ThrowJson(string message) => throw new JsonException(message);

    [DoesNotReturn]
    private static T Unexpected<T>(ref Utf8JsonReader reader, string expected)
    {
        ThrowUnexpected(ref reader, expected);
        return default;
    }

    private static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        _ => reader.TokenType.ToString(),
    };

    private static ReadOnlySpan<char> StringChars(in Utf8JsonReader reader, Span<char> buffer)
    {
        int length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        if (length > buffer.Length)
            return reader.GetString().AsSpan();
        int written = reader.CopyString(buffer);
        return buffer.Slice(0, written);
    }

    private static bool HasDayPart(ReadOnlySpan<char> text)
    {
        int dot = text.IndexOf('.');
        int colon = text.IndexOf(':');
        return dot >= 0 && (colon < 0 || dot < colon);
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static bool IsDigitOrMinus(byte b) => IsDigit(b) || b == '-';
}
