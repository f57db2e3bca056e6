using System.Numerics;
using static TypedKafka.RuntimeTests.TestSupport;

namespace TypedKafka.RuntimeTests;

/// <summary>Issue 14: ISpecificRecord fields of fixed and logical types (decimal on bytes and fixed, date, time-millis/micros,
/// timestamp-millis/micros, uuid) are decoded by generated code to the values Apache.Avro's SpecificDatumReader gives.</summary>
public class SpecificLogicalTypesTests
{
    private static readonly DateTime Epoch = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static AvroLogicalEvent Random(Random random)
    {
        byte[] hash = new byte[16];
        random.NextBytes(hash);
        BigInteger Unscaled(int maxBytes)
        {
            byte[] bytes = new byte[random.Next(0, maxBytes + 1)];
            random.NextBytes(bytes);
            return bytes.Length == 0 ? BigInteger.Zero : new BigInteger(bytes);
        }

        Md5 Fixed(byte[] value)
        {
            var f = new Md5();
            value.CopyTo(f.Value, 0);
            return f;
        }

        DateTime Millis() => Epoch.AddTicks(random.NextInt64(-62_135_596_800_000L, 253_402_300_799_999L) * 10_000);
        byte[] other = new byte[16];
        random.NextBytes(other);
        byte[] guid = new byte[16];
        random.NextBytes(guid);
        return new AvroLogicalEvent
        {
            hash = Fixed(hash),
            amount = new Avro.AvroDecimal(Unscaled(12), 4),
            day = Epoch.AddDays(random.Next(-719_162, 2_932_896)),
            clock = TimeSpan.FromMilliseconds(random.Next(0, 86_400_000)),
            clockMicros = TimeSpan.FromTicks(random.NextInt64(0, 86_400_000_000L) * 10),
            at = Millis(),
            atMicros = Epoch.AddTicks(random.NextInt64(-62_135_596_800_000_000L, 253_402_300_799_999_999L) * 10),
            id = new Guid(guid),
            maybeHash = random.Next(2) == 0 ? null : Fixed(other),
            maybeAt = random.Next(2) == 0 ? null : Millis(),
            maybeAmount = random.Next(2) == 0 ? null : new Avro.AvroDecimal(Unscaled(4), 3),
        };
    }

    internal static byte[] Write(AvroLogicalEvent value) => Write(value, (Avro.RecordSchema)AvroLogicalEvent._SCHEMA, null);

    // Apache.Avro's SpecificDatumWriter cannot write a decimal on a fixed (its logical conversion gives a GenericFixed,
    // which its WriteFixed refuses), so the values are written by its GenericDatumWriter, field by field.
    private static byte[] Write(AvroLogicalEvent value, Avro.RecordSchema schema, string? legacy)
    {
        var record = new Avro.Generic.GenericRecord(schema);
        foreach (var field in schema.Fields)
        {
            object? v = field.Name == "legacy" ? legacy : value.Get(((Avro.RecordSchema)AvroLogicalEvent._SCHEMA)[field.Name].Pos);
            if (v is Md5 md5)
                v = new Avro.Generic.GenericFixed((Avro.FixedSchema)((Avro.RecordSchema)AvroLogicalEvent._SCHEMA)["hash"].Schema, md5.Value);
            record.Add(field.Name, v);
        }

        var stream = new MemoryStream();
        new Avro.Generic.GenericDatumWriter<Avro.Generic.GenericRecord>(schema).Write(record, new Avro.IO.BinaryEncoder(stream));
        return stream.ToArray();
    }

    private static string D(Avro.AvroDecimal d) => $"{d.UnscaledValue}e-{d.Scale}";

    private static string D(DateTime t) => $"{t.Ticks}/{t.Kind}";

    internal static string Describe(AvroLogicalEvent e) => string.Join("|",
        Convert.ToHexString(e.hash.Value), D(e.amount), D(e.day), e.clock.Ticks, e.clockMicros.Ticks, D(e.at), D(e.atMicros),
        e.id, e.maybeHash is null ? "null" : Convert.ToHexString(e.maybeHash.Value), e.maybeAt is { } a ? D(a) : "null",
        e.maybeAmount is { } m ? D(m) : "null", e.hash.GetType().Name, e.maybeHash?.GetType().Name);

    private static IMessageDeserializer<AvroLogicalEvent> Generated()
    {
        var deserializer = Deserializer<AvroLogicalEvent>("avro-logical");
        return Assert.IsAssignableFrom<IMessageDeserializer<AvroLogicalEvent>>(deserializer); // the generated decoder, not Apache.Avro's
    }

    /// <summary>The decoder class the generator emitted for <paramref name="type"/>, from the file the build wrote
    /// (EmitCompilerGeneratedFiles) for the configuration these tests run in.</summary>
    private static string EmittedDecoder(string type)
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory); // .../bin/<Configuration>/net10.0/
        var project = bin.Parent!.Parent!.Parent!.FullName;
        string file = Path.Combine(project, "obj", bin.Parent!.Name, bin.Name, "generated", "TypedKafka.Generators",
            "TypedKafka.Generators.KafkaHandlerGenerator", "TypedKafka.Deserializers.g.cs");
        string source = File.ReadAllText(file);
        int start = source.IndexOf("class KafkaAvroSpecificDeserializer_TypedKafka_RuntimeTests_" + type + " ", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no decoder for {type} in {file}");
        int end = source.IndexOf("class KafkaAvroSpecificDeserializer_", start + 10, StringComparison.Ordinal);
        if (end > 0)
            end = source.LastIndexOf("\n    }\n", end, StringComparison.Ordinal); // the end of this class, before the next one's comments
        return end < 0 ? source[start..] : source[start..end];
    }

    [Theory]
    [InlineData("AvroLogicalEvent")]
    [InlineData("AvroFixedDecimalEvent")]
    [InlineData("AvroUnionEvent")]
    public void The_generated_decoder_does_not_use_SpecificDatumReader(string type)
    {
        string decoder = EmittedDecoder(type);
        Assert.DoesNotContain("SpecificDatumReader", decoder);
        Assert.DoesNotContain("global::Avro.IO", decoder);
        Assert.Contains("AvroBinaryReader", decoder);
        Assert.Contains("SpecificDatumReader", EmittedDecoder("AvroLegacyPing")); // the kept fallback, for contrast
    }

    [Fact]
    public void Generated_decoder_agrees_with_SpecificDatumReader_over_random_values()
    {
        var deserializer = Generated();
        var apache = new Avro.Specific.SpecificDatumReader<AvroLogicalEvent>(AvroLogicalEvent._SCHEMA, AvroLogicalEvent._SCHEMA);
        var random = new Random(1414);
        for (int i = 0; i < 2000; i++)
        {
            var value = Random(random);
            byte[] bytes = Write(value);
            var theirs = apache.Read(null!, new Avro.IO.BinaryDecoder(new MemoryStream(bytes)));
            var ours = deserializer.Deserialize(bytes, false, default(SerializationContext));
            Assert.Equal(Describe(theirs), Describe(ours));
        }
    }

    [Fact]
    public void A_decimal_on_a_fixed_agrees_with_GenericDatumReader()
    {
        var deserializer = Assert.IsAssignableFrom<IMessageDeserializer<AvroFixedDecimalEvent>>(Deserializer<AvroFixedDecimalEvent>("avro-fixed-decimal"));
        var schema = (Avro.RecordSchema)AvroFixedDecimalEvent._SCHEMA;
        var generic = new Avro.Generic.GenericDatumReader<Avro.Generic.GenericRecord>(schema, schema);
        var random = new Random(12);
        for (int i = 0; i < 2000; i++)
        {
            byte[] unscaled = new byte[random.Next(0, 12)];
            random.NextBytes(unscaled);
            var record = new Avro.Generic.GenericRecord(schema);
            record.Add("price", new Avro.AvroDecimal(unscaled.Length == 0 ? BigInteger.Zero : new BigInteger(unscaled), 2));
            record.Add("maybePrice", null);
            var stream = new MemoryStream();
            new Avro.Generic.GenericDatumWriter<Avro.Generic.GenericRecord>(schema).Write(record, new Avro.IO.BinaryEncoder(stream));
            byte[] bytes = stream.ToArray();
            if (i % 3 != 0)
            {
                // Apache.Avro's writer finds no union branch for an AvroDecimal on a fixed: the branch is encoded here.
                byte[] other = new byte[12];
                random.NextBytes(other);
                bytes[^1] = 2;
                bytes = [.. bytes, .. other];
            }

            var theirs = generic.Read(null!, new Avro.IO.BinaryDecoder(new MemoryStream(bytes)));
            var ours = deserializer.Deserialize(bytes, false, default(SerializationContext));
            Assert.Equal(D((Avro.AvroDecimal)theirs["price"]), D(ours.price));
            // Through the named reference in the union, Apache.Avro's generic reader gives the raw GenericFixed, not the
            // decimal: its unscaled value (big-endian two's complement) is what the AvroDecimal? property receives.
            string expected = theirs["maybePrice"] switch
            {
                null => "null",
                Avro.AvroDecimal m => D(m),
                Avro.Generic.GenericFixed f => D(new Avro.AvroDecimal(new BigInteger(f.Value, isUnsigned: false, isBigEndian: true), 2)),
                var other => other.GetType().FullName!,
            };
            Assert.Equal(expected, ours.maybePrice is { } o ? D(o) : "null");
            if (i == 0)
            {
                // Why the reference is the generic reader: the specific one cannot read this type at all.
                var specific = new Avro.Specific.SpecificDatumReader<AvroFixedDecimalEvent>(schema, schema);
                Assert.Throws<InvalidCastException>(() => specific.Read(null!, new Avro.IO.BinaryDecoder(new MemoryStream(bytes))));
            }
        }

        Assert.Throws<InvalidDataException>(() => deserializer.Deserialize(new byte[11], false, default(SerializationContext)));
    }

    [Fact]
    public void Every_truncation_is_an_InvalidDataException()
    {
        var deserializer = Generated();
        var random = new Random(7);
        for (int n = 0; n < 20; n++)
        {
            byte[] bytes = Write(Random(random));
            for (int length = 0; length < bytes.Length; length++)
            {
                var ex = Record.Exception(() => deserializer.Deserialize(bytes.AsSpan(0, length), false, default(SerializationContext)));
                Assert.IsType<InvalidDataException>(ex, exactMatch: false);
            }
        }
    }

    private static byte[] Prefix(AvroLogicalEvent value) => Write(value)[..16]; // the Md5 hash, the first field

    [Fact]
    public void A_bad_union_index_is_an_InvalidDataException()
    {
        var value = Random(new Random(3));
        value.maybeHash = null;
        value.maybeAt = null;
        value.maybeAmount = null;
        byte[] bytes = Write(value);
        Assert.Equal(2, bytes[^1]); // maybeAmount: ["decimal", "null"], null is branch 1 (zigzag 2)
        bytes[^1] = 4; // branch 2 of a union of two
        Assert.Throws<InvalidDataException>(() => Generated().Deserialize(bytes, false, default(SerializationContext)));
        bytes[^1] = 1; // branch -1
        Assert.Throws<InvalidDataException>(() => Generated().Deserialize(bytes, false, default(SerializationContext)));
    }

    [Theory]
    [InlineData(1L << 40)]
    [InlineData(int.MaxValue)]
    [InlineData(1000)]
    [InlineData(-5)]
    public void An_over_long_decimal_length_fails_without_allocating_it(long length)
    {
        var deserializer = Generated();
        byte[] prefix = Prefix(Random(new Random(5)));
        var stream = new MemoryStream();
        stream.Write(prefix);
        ulong zigzag = (ulong)((length << 1) ^ (length >> 63));
        while (zigzag >= 0x80)
        {
            stream.WriteByte((byte)(zigzag | 0x80));
            zigzag >>= 7;
        }

        stream.WriteByte((byte)zigzag);
        stream.Write(new byte[64]);
        byte[] bytes = stream.ToArray();
        deserializer.Deserialize(Write(Random(new Random(6))), false, default(SerializationContext)); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<InvalidDataException>(() => deserializer.Deserialize(bytes, false, default(SerializationContext)));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 * 1024, "the decoder allocated for the announced length");
    }

    [Theory]
    [InlineData(3_000_001)]
    [InlineData(2_932_897)] // the day after 9999-12-31
    [InlineData(-719_163)] // the day before 0001-01-01
    public void A_date_out_of_DateTime_range_is_an_InvalidDataException(int days)
    {
        Assert.Throws<InvalidDataException>(() => AvroBinaryReader.ToUtcDateTimeFromDays(days));
        Assert.Throws<InvalidDataException>(() => AvroBinaryReader.ToUtcDateTimeFromMillis(days * 86_400_000L));
        Assert.Throws<InvalidDataException>(() => AvroBinaryReader.ToUtcDateTimeFromMicros(days * 86_400_000_000L));
        Assert.Throws<InvalidDataException>(() => AvroBinaryReader.ToUtcDateTimeFromMicros(long.MaxValue));
        Assert.Throws<InvalidDataException>(() => AvroBinaryReader.ToTimeSpanFromMicros(long.MinValue));
    }

    [Fact]
    public void An_older_writer_schema_is_resolved_through_the_registry_like_SpecificDatumReader()
    {
        // The older version had the fields in another order, one field more (skipped) and the optional ones missing
        // their null-first order: the reader's own _SCHEMA is the reader schema.
        string older = AvroLogicalEvent.SchemaJson
            .Replace("{\"name\":\"hash\",\"type\":{\"type\":\"fixed\",\"name\":\"Md5\",\"size\":16}},",
                "{\"name\":\"legacy\",\"type\":[\"null\",\"string\"]},{\"name\":\"hash\",\"type\":{\"type\":\"fixed\",\"name\":\"Md5\",\"size\":16}},")
            .Replace("\"name\":\"maybeAt\",\"type\":[\"null\",", "\"name\":\"maybeAt\",\"type\":[");
        older = older.Replace("[{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}]", "[{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"},\"null\"]");
        var writer = (Avro.RecordSchema)Avro.Schema.Parse(older);
        var registry = new SpecificRecordTests.SingleSchemaRegistry(21, older);
        var deserializer = Generated();
        var apache = new Avro.Specific.SpecificDatumReader<AvroLogicalEvent>(writer, AvroLogicalEvent._SCHEMA);
        var random = new Random(21);
        for (int i = 0; i < 300; i++)
        {
            var value = Random(random);
            byte[] bytes = Write(value, writer, i % 2 == 0 ? null : "x" + i);
            var theirs = apache.Read(null!, new Avro.IO.BinaryDecoder(new MemoryStream(bytes)));
            var ours = deserializer.Deserialize(AvroResolutionTests.Frame(21, bytes), false, new MessageContext("avro-logical", 0, 0) { SchemaRegistry = registry });
            Assert.Equal(Describe(theirs), Describe(ours)); // not always Describe(value): Apache.Avro's writer rounds a far timestamp-millis through a double
        }
    }
}
