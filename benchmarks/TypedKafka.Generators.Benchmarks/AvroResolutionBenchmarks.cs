using BenchmarkDotNet.Attributes;
using TypedKafka.Generated;
using TypedKafka.Serialization.Avro;

namespace TypedKafka.Generators.Benchmarks;

/// <summary>Bound to Schemas/order-event.avsc (the reader of the resolution benchmark).</summary>
[AvroSchema("Schemas/order-event.avsc")]
public partial class OrderEvent
{
}

/// <summary>
/// Issue 14: one ~60-byte Avro record decoded by the generated same-schema decoder (data written with the reader's
/// schema), by the generated decoder following a resolution plan (data written with order-event.v1.avsc: int → long,
/// float → double, a field renamed by alias, a removed field skipped, enum symbols reordered, a field added with a
/// default), and by Apache.Avro's GenericDatumReader with the same writer and reader schemas (stream and decoder reused;
/// the aliased field renamed in the writer schema it gets, see the contract's caveat).
/// </summary>
[MemoryDiagnoser]
public class AvroResolutionBenchmarks
{
    private byte[] _current = null!;
    private byte[] _older = null!;
    private AvroReadPlan _plan = null!;
    private Avro.Generic.GenericDatumReader<object> _apache = null!;
    private MemoryStream _stream = null!;
    private Avro.IO.BinaryDecoder _decoder = null!;

    [GlobalSetup]
    public void Setup()
    {
        string reader = KafkaAvroDeserializer_TypedKafka_Generators_Benchmarks_OrderEvent.ReaderSchemaJson;
        string writer = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Schemas", "order-event.v1.avsc"));
        _plan = AvroResolver.Plan(AvroSchema.Parse(writer), AvroSchema.Parse(reader))!;

        var current = (Avro.RecordSchema)Avro.Schema.Parse(reader);
        var c = new Avro.Generic.GenericRecord(current);
        c.Add("id", 1234567L);
        c.Add("sku", "ABC-12345");
        c.Add("qty", 17);
        c.Add("price", 1234.5);
        c.Add("status", new Avro.Generic.GenericEnum((Avro.EnumSchema)current["status"].Schema, "Paid"));
        c.Add("note", "deliver to the back door");
        c.Add("customer", "customer-42");
        c.Add("priority", 3);
        _current = Write(current, c);

        var old = (Avro.RecordSchema)Avro.Schema.Parse(writer);
        var o = new Avro.Generic.GenericRecord(old);
        o.Add("id", 1234567);
        o.Add("buyer", "customer-42");
        o.Add("sku", "ABC-12345");
        o.Add("qty", 17);
        o.Add("price", 1234.5f);
        o.Add("status", new Avro.Generic.GenericEnum((Avro.EnumSchema)old["status"].Schema, "Paid"));
        o.Add("note", "deliver to the back door");
        o.Add("channel", "web");
        _older = Write(old, o);

        // Apache.Avro 1.12.2 mishandles reader field aliases (framework-api.md §5), so it gets the writer schema with the
        // aliased field already renamed: the same bytes, the same resolution work otherwise.
        var oldForApache = Avro.Schema.Parse(writer.Replace("\"buyer\"", "\"customer\""));
        _apache = new Avro.Generic.GenericDatumReader<object>(oldForApache, current);
        _stream = new MemoryStream(_older, writable: false);
        _decoder = new Avro.IO.BinaryDecoder(_stream);
        if (ResolutionPlan().Customer != SameSchema().Customer || ApacheGenericResolution() is not Avro.Generic.GenericRecord)
            throw new InvalidOperationException("The benchmark's decoders disagree.");
    }

    private static byte[] Write(Avro.Schema schema, Avro.Generic.GenericRecord record)
    {
        var stream = new MemoryStream();
        new Avro.Generic.GenericDatumWriter<object>(schema).Write(record, new Avro.IO.BinaryEncoder(stream));
        return stream.ToArray();
    }

    [Benchmark(Baseline = true)]
    public OrderEvent SameSchema() => KafkaAvroDeserializer_TypedKafka_Generators_Benchmarks_OrderEvent.Decode(_current);

    [Benchmark]
    public OrderEvent ResolutionPlan() => KafkaAvroDeserializer_TypedKafka_Generators_Benchmarks_OrderEvent.DecodeResolved(_older, _plan);

    [Benchmark]
    public object ApacheGenericResolution()
    {
        _stream.Position = 0;
        return _apache.Read(null!, _decoder);
    }
}
