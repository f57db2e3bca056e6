using static TypedKafka.RuntimeTests.TestSupport;

namespace TypedKafka.RuntimeTests;

/// <summary>Issue 14: ISpecificRecord unions other than [null, T] (object properties) are decoded by generated code to
/// the values Apache.Avro's SpecificDatumReader puts in them, also through registry resolution.</summary>
public class SpecificUnionTests
{
    private static AvroUnionInner Inner(Random random) => new() { name = "in" + random.Next(1000), n = random.Next(2) == 0 ? null : random.NextInt64() };

    private static AvroUnionEvent Random(Random random)
    {
        byte[] bytes = new byte[random.Next(0, 20)];
        random.NextBytes(bytes);
        return new AvroUnionEvent
        {
            choice = random.Next(4) switch { 0 => null, 1 => "s" + random.Next(), 2 => random.Next(int.MinValue, int.MaxValue), _ => Inner(random) },
            pick = random.Next(6) switch
            {
                0 => random.Next(2) == 0,
                1 => random.NextDouble() * 1e6 - 5e5,
                2 => bytes,
                3 => (ParcelState)random.Next(3),
                4 => new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(random.NextInt64(-10_000_000_000_000_000L, 10_000_000_000_000_000L) * 10),
                _ => null,
            },
            again = random.Next(2) == 0 ? Inner(random) : "again" + random.Next(),
        };
    }

    private static byte[] Write(AvroUnionEvent value, Avro.Schema schema)
    {
        var stream = new MemoryStream();
        new Avro.Specific.SpecificDatumWriter<AvroUnionEvent>(schema).Write(value, new Avro.IO.BinaryEncoder(stream));
        return stream.ToArray();
    }

    private static string V(object? value) => value switch
    {
        null => "null",
        AvroUnionInner i => $"Inner({i.name},{i.n?.ToString() ?? "null"})",
        byte[] b => "bytes:" + Convert.ToHexString(b),
        DateTime t => $"DateTime:{t.Ticks}/{t.Kind}",
        double d => "double:" + d.ToString("R"),
        _ => value.GetType().FullName + ":" + value,
    };

    private static string Describe(AvroUnionEvent e) => $"{V(e.choice)}|{V(e.pick)}|{V(e.again)}";

    private static IMessageDeserializer<AvroUnionEvent> Generated() =>
        Assert.IsAssignableFrom<IMessageDeserializer<AvroUnionEvent>>(Deserializer<AvroUnionEvent>("avro-unions"));

    [Fact]
    public void Generated_decoder_agrees_with_SpecificDatumReader_over_random_values()
    {
        var deserializer = Generated();
        var apache = new Avro.Specific.SpecificDatumReader<AvroUnionEvent>(AvroUnionEvent._SCHEMA, AvroUnionEvent._SCHEMA);
        var random = new Random(99);
        for (int i = 0; i < 2000; i++)
        {
            byte[] bytes = Write(Random(random), AvroUnionEvent._SCHEMA);
            var theirs = apache.Read(null!, new Avro.IO.BinaryDecoder(new MemoryStream(bytes)));
            var ours = deserializer.Deserialize(bytes, false, default(SerializationContext));
            Assert.Equal(Describe(theirs), Describe(ours));
        }
    }

    [Fact]
    public void Malformed_input_is_an_InvalidDataException()
    {
        var deserializer = Generated();
        var random = new Random(4);
        for (int n = 0; n < 30; n++)
        {
            byte[] bytes = Write(Random(random), AvroUnionEvent._SCHEMA);
            for (int length = 0; length < bytes.Length; length++)
                Assert.IsType<InvalidDataException>(Record.Exception(() => deserializer.Deserialize(bytes.AsSpan(0, length), false, default(SerializationContext))), exactMatch: false);
        }

        Assert.Throws<InvalidDataException>(() => deserializer.Deserialize([8], false, default(SerializationContext))); // choice: branch 4 of 4
        Assert.Throws<InvalidDataException>(() => deserializer.Deserialize([1], false, default(SerializationContext))); // branch -1
        Assert.Throws<InvalidDataException>(() => deserializer.Deserialize([2, 0xFE, 0xFF, 0xFF, 0xFF, 0x0F], false, default(SerializationContext))); // a string of 2^31 bytes
    }

    [Fact]
    public void An_older_writer_schema_is_resolved_through_the_registry_like_SpecificDatumReader()
    {
        // The older version: choice had its branches in another order and a long instead of an int (not promotable to
        // the reader's int, so those values are not written), pick had no null; again only the record.
        string older = AvroUnionEvent.SchemaJson
            .Replace("[\"null\",\"string\",\"int\",{", "[\"string\",\"null\",\"int\",{")
            .Replace("[\"AvroUnionInner\",\"string\"]", "[\"string\",\"AvroUnionInner\"]");
        var writer = Avro.Schema.Parse(older);
        var registry = new SpecificRecordTests.SingleSchemaRegistry(31, older);
        var apache = new Avro.Specific.SpecificDatumReader<AvroUnionEvent>(writer, AvroUnionEvent._SCHEMA);
        var deserializer = Generated();
        var random = new Random(31);
        for (int i = 0; i < 1000; i++)
        {
            byte[] bytes = Write(Random(random), writer);
            var theirs = apache.Read(null!, new Avro.IO.BinaryDecoder(new MemoryStream(bytes)));
            var ours = deserializer.Deserialize(AvroResolutionTests.Frame(31, bytes), false, new MessageContext("avro-unions", 0, 0) { SchemaRegistry = registry });
            Assert.Equal(Describe(theirs), Describe(ours));
        }
    }
}
