using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TypedKafka.Benchmarks.EndToEnd;

/// <summary>The benchmark data of docs/performance.md: 8-byte keys and 100-byte UTF-8 JSON order values.</summary>
internal static class Data
{
    public const int KeySize = 8;
    public const int ValueSize = 100;
    public const int RecordBytes = KeySize + ValueSize;

    private const string NoteText = "deliver to the back door please, ring twice and leave it with the neighbour if nobody answers";

    /// <summary>Key of record <paramref name="i"/>: its index, 8 bytes big-endian.</summary>
    public static byte[] Key(int i)
    {
        var key = new byte[KeySize];
        BinaryPrimitives.WriteInt64BigEndian(key, i);
        return key;
    }

    /// <summary><c>{"id":..,"sku":"ABC-nnnnn","qty":..,"price":..,"note":"..."}</c>, the note cut so the value is exactly
    /// <see cref="ValueSize"/> bytes.</summary>
    public static byte[] Value(int i)
    {
        var price = (i % 100_000) + 100; // cents: 1.00 .. 1000.99
        var head = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{{\"id\":{i},\"sku\":\"ABC-{i % 100_000:D5}\",\"qty\":{i % 100 + 1},\"price\":{price / 100}.{price % 100:D2},\"note\":\"");
        const string tail = "\"}";
        var noteLength = ValueSize - head.Length - tail.Length;
        if (noteLength < 0 || noteLength > NoteText.Length)
            throw new InvalidOperationException($"Record {i}: cannot pad the value to {ValueSize} bytes (head is {head.Length}).");
        var value = Encoding.UTF8.GetBytes(head + NoteText[..noteLength] + tail);
        if (value.Length != ValueSize) throw new InvalidOperationException($"Record {i}: value is {value.Length} bytes, not {ValueSize}.");
        return value;
    }
}

/// <summary>The order a value deserializes to (the same shape as the micro-benchmarks' <c>OrderRecord</c>). Read by
/// System.Text.Json's source-generated context (<see cref="OrderContext"/>, camelCase) in tk-typed / cf-stj-*, and by the
/// deserializer TypedKafka's generator emits for the handler of <see cref="OrderHandlers"/> (camelCase too, through
/// <see cref="KafkaJsonNamingAttribute"/>) in tk-typed-gen and tk-framework.</summary>
[KafkaJsonNaming(KafkaJsonNamingPolicy.CamelCase)]
public sealed record Order(long Id, string Sku, int Qty, decimal Price, string? Note);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Order))]
internal sealed partial class OrderContext : JsonSerializerContext
{
}

/// <summary>TypedKafka's deserializer interface over System.Text.Json's source-generated metadata.</summary>
internal sealed class TypedKafkaStjOrderDeserializer : IDeserializer<Order?>
{
    public Order? Deserialize(ReadOnlySpan<byte> data, bool isNull, in SerializationContext context) =>
        isNull ? null : JsonSerializer.Deserialize(data, OrderContext.Default.Order);
}

/// <summary>Confluent.Kafka's deserializer interface over the very same System.Text.Json call.</summary>
internal sealed class ConfluentStjOrderDeserializer : Confluent.Kafka.IDeserializer<Order?>
{
    public Order? Deserialize(ReadOnlySpan<byte> data, bool isNull, Confluent.Kafka.SerializationContext context) =>
        isNull ? null : JsonSerializer.Deserialize(data, OrderContext.Default.Order);
}
