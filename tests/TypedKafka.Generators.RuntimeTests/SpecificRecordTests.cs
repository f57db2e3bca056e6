using TypedKafka.SchemaRegistry;
using static TypedKafka.RuntimeTests.TestSupport;

namespace TypedKafka.RuntimeTests;

/// <summary>Issue 14: Apache.Avro ISpecificRecord types are decoded by generated code (no SpecificDatumReader, no
/// reflection, from the span), agreeing with Apache.Avro's own reader, and resolve older writer schemas too.</summary>
public class SpecificRecordTests
{
    private static AvroParcelEvent Sample(int i) => new()
    {
        id = 1000 + i,
        carrier = i % 2 == 0 ? "DHL" : "日本郵便",
        state = (ParcelState)(i % 3),
        lines = Enumerable.Range(0, i % 4).Select(n => new AvroParcelLine { sku = $"SKU-{n}", qty = n * i, weight = n % 2 == 0 ? null : n * 0.5 }).ToList(),
        counters = Enumerable.Range(0, i % 3).ToDictionary(n => $"c{n}", n => (long)n << 40),
        note = i % 2 == 0 ? null : $"note {i}",
        priority = i % 3 == 0 ? null : i,
        label = [(byte)i, 0, 255],
        fragile = i % 2 == 1,
        ratio = i / 7f,
    };

    private static byte[] Write(AvroParcelEvent parcel)
    {
        var stream = new MemoryStream();
        new Avro.Specific.SpecificDatumWriter<AvroParcelEvent>(AvroParcelEvent._SCHEMA).Write(parcel, new Avro.IO.BinaryEncoder(stream));
        return stream.ToArray();
    }

    private static string Describe(AvroParcelEvent p) =>
        $"{p.id}|{p.carrier}|{p.state}|{string.Join(";", p.lines.Select(l => $"{l.sku},{l.qty},{l.weight}"))}|{string.Join(";", p.counters.OrderBy(c => c.Key).Select(c => $"{c.Key}={c.Value}"))}|{p.note}|{p.priority}|{Convert.ToHexString(p.label)}|{p.fragile}|{p.ratio:R}";

    [Fact]
    public void Generated_decoder_is_used_and_agrees_with_SpecificDatumReader()
    {
        var deserializer = Deserializer<AvroParcelEvent>("avro-parcels");
        Assert.IsAssignableFrom<IMessageDeserializer<AvroParcelEvent>>(deserializer); // the generated decoder, not the Apache.Avro wrapper
        var apache = new Avro.Specific.SpecificDatumReader<AvroParcelEvent>(AvroParcelEvent._SCHEMA, AvroParcelEvent._SCHEMA);
        for (int i = 0; i < 50; i++)
        {
            byte[] bytes = Write(Sample(i));
            var ours = deserializer.Deserialize(bytes, false, default);
            var theirs = apache.Read(null!, new Avro.IO.BinaryDecoder(new MemoryStream(bytes)));
            Assert.Equal(Describe(theirs), Describe(ours));
            Assert.Equal(Describe(Sample(i)), Describe(ours));
        }
    }

    [Fact]
    public void Truncated_input_is_rejected()
    {
        byte[] bytes = Write(Sample(5));
        Assert.ThrowsAny<InvalidDataException>(() => Deserializer<AvroParcelEvent>("avro-parcels").Deserialize(bytes.AsSpan(0, bytes.Length - 1), false, default));
    }

    [Fact]
    public void An_older_writer_schema_is_resolved_through_the_registry()
    {
        const string older = """
            {"type":"record","name":"AvroParcelEvent","namespace":"TypedKafka.RuntimeTests","fields":[
              {"name":"id","type":"int"},{"name":"carrier","type":"string"},
              {"name":"state","type":{"type":"enum","name":"ParcelState","symbols":["Created","Shipped","Delivered"]}},
              {"name":"lines","type":{"type":"array","items":{"type":"record","name":"AvroParcelLine","fields":[{"name":"sku","type":"string"},{"name":"qty","type":"int"},{"name":"weight","type":["null","double"],"default":null}]}}},
              {"name":"counters","type":{"type":"map","values":"int"}},
              {"name":"note","type":["null","string"]},{"name":"priority","type":["null","int"]},
              {"name":"label","type":"string"},{"name":"fragile","type":"boolean"},{"name":"ratio","type":"int"}]}
            """;
        var writer = (Avro.RecordSchema)Avro.Schema.Parse(older);
        var record = new Avro.Generic.GenericRecord(writer);
        record.Add("id", 7);
        record.Add("carrier", "UPS");
        record.Add("state", new Avro.Generic.GenericEnum((Avro.EnumSchema)writer["state"].Schema, "Delivered"));
        var lineSchema = (Avro.RecordSchema)((Avro.ArraySchema)writer["lines"].Schema).ItemSchema;
        var line = new Avro.Generic.GenericRecord(lineSchema);
        line.Add("sku", "A");
        line.Add("qty", 2);
        line.Add("weight", 1.25);
        record.Add("lines", new object[] { line });
        record.Add("counters", new Dictionary<string, object> { ["x"] = 3 });
        record.Add("note", "n");
        record.Add("priority", null);
        record.Add("label", "AB");
        record.Add("fragile", true);
        record.Add("ratio", 4);
        var stream = new MemoryStream();
        new Avro.Generic.GenericDatumWriter<object>(writer).Write(record, new Avro.IO.BinaryEncoder(stream));

        var registry = new SingleSchemaRegistry(9, older);
        var deserializer = (IMessageDeserializer<AvroParcelEvent>)Deserializer<AvroParcelEvent>("avro-parcels");
        var parcel = deserializer.Deserialize(AvroResolutionTests.Frame(9, stream.ToArray()), false, new MessageContext("avro-parcels", 0, 0) { SchemaRegistry = registry });
        Assert.Equal("7|UPS|Delivered|A,2,1.25|x=3|n||4142|True|4", Describe(parcel));
    }

    [Fact]
    public void A_schema_that_is_not_a_constant_falls_back_to_Apache_Avro_and_still_decodes()
    {
        var deserializer = Deserializer<AvroLegacyPing>("avro-legacy");
        Assert.False(deserializer is IMessageDeserializer<AvroLegacyPing>);
        var stream = new MemoryStream();
        new Avro.Specific.SpecificDatumWriter<AvroLegacyPing>(AvroLegacyPing._SCHEMA).Write(new AvroLegacyPing { seq = 99 }, new Avro.IO.BinaryEncoder(stream));
        Assert.Equal(99, deserializer.Deserialize(stream.ToArray(), false, default).seq);
    }

    internal sealed class SingleSchemaRegistry(int id, string schema) : ISchemaRegistryClient
    {
        public RegisteredSchema GetSchema(int schemaId) => schemaId == id
            ? new RegisteredSchema(id, "AVRO", schema, [])
            : throw new SchemaRegistryException($"Schema {schemaId} not found", false, 404, 40403);

        public Task<RegisteredSchema> GetSchemaAsync(int schemaId, CancellationToken cancellationToken = default) => Task.FromResult(GetSchema(schemaId));

        public RegisteredSchema GetSchema(Guid guid) => throw new SchemaRegistryException($"Schema {guid} not found", false, 404, 40403);
    }
}
