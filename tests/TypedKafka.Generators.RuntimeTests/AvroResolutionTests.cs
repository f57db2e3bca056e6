using System.Buffers.Binary;
using TypedKafka.Generated;
using TypedKafka.SchemaRegistry;
using TypedKafka.Serialization.Avro;

namespace TypedKafka.RuntimeTests;

/// <summary>Avro schema resolution cases checked by value, and the generated decoder's use of a Schema Registry.</summary>
public class AvroResolutionTests
{
    internal const string CustomerV1 = """
        {"type":"record","name":"Client","namespace":"com.example.crm","fields":[
          {"name":"id","type":"int"},
          {"name":"full_name","type":"bytes"},
          {"name":"score","type":"float"},
          {"name":"level","type":{"type":"enum","name":"Level","symbols":["High","Low"]}},
          {"name":"address","type":[{"type":"record","name":"Location","fields":[{"name":"street","type":"string"},{"name":"land","type":"string"}]},"null"]},
          {"name":"history","type":["null",{"type":"array","items":{"type":"record","name":"Visit","fields":[{"name":"at","type":"int"}]}}]},
          {"name":"token","type":{"type":"fixed","name":"Token","size":4}},
          {"name":"tier","type":{"type":"enum","name":"Tier","symbols":["Platinum","Gold"]}},
          {"name":"nickname","type":"string"},
          {"name":"dropped","type":{"type":"map","values":{"type":"array","items":"double"}}}
        ]}
        """;

    [Fact]
    public void Old_writer_schema_is_read_by_every_rule_with_expected_values()
    {
        byte[] bytes = WriteV1(2.5f);

        var plan = AvroResolver.Plan(AvroSchema.Parse(CustomerV1), AvroSchema.Parse(KafkaAvroDeserializer_TypedKafka_RuntimeTests_Customer.ReaderSchemaJson));
        Assert.NotNull(plan);
        var customer = KafkaAvroDeserializer_TypedKafka_RuntimeTests_Customer.DecodeResolved(bytes, plan);

        Assert.Equal(42L, customer.Id); // int -> long
        Assert.Equal("Ann", customer.Name); // field alias full_name, bytes -> string
        Assert.Equal(2.5, customer.Score); // float -> double
        Assert.Equal(0.5f, customer.Ratio); // added with default
        Assert.True(customer.Active);
        Assert.Equal(0, customer.Visits);
        Assert.Equal(new byte[] { 0, 0xFF }, customer.Avatar);
        Assert.Null(customer.Email);
        Assert.Equal(Customer.LevelType.Low, customer.Level); // reordered symbols
        Assert.Equal("Dam 1", customer.Address.Street); // writer union [Location, null] read as the reader's record Address (alias Location)
        Assert.Equal("BE", customer.Address.Country); // field alias land
        Assert.Null(customer.Address.Zip); // added with default null
        Assert.Equal(77L, Assert.Single(customer.History).At); // writer ["null", array] read as a plain array; int -> long
        Assert.Equal(1.5, customer.History[0].Amount); // default inside an array item
        Assert.Equal(new Dictionary<string, long> { ["a"] = 1 }, customer.Counters);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, customer.Token);
        Assert.Equal(Customer.TierType.Bronze, customer.Tier); // unknown symbol Platinum -> the enum's default
        Assert.Equal("annie", customer.Nickname); // plain string read as ["null", string]
        Assert.Equal("Main", customer.Home.Street); // record default, its own missing fields from their defaults
        Assert.Equal("NL", customer.Home.Country);
        Assert.Equal(["x"], customer.Tags);
        Assert.Null(customer.Big);
    }

    [Fact]
    public void Incompatible_writer_fails_naming_the_field_and_both_schemas()
    {
        const string writer = """{"type":"record","name":"Customer","namespace":"com.example.crm","fields":[{"name":"id","type":"string"}]}""";
        var plan = AvroResolver.Plan(AvroSchema.Parse(writer), AvroSchema.Parse(KafkaAvroDeserializer_TypedKafka_RuntimeTests_Customer.ReaderSchemaJson), "id 9");
        var error = Assert.Throws<AvroSchemaResolutionException>(() => KafkaAvroDeserializer_TypedKafka_RuntimeTests_Customer.DecodeResolved([2, 0x41], plan!));
        Assert.Contains("field 'Customer.id'", error.Message);
        Assert.Contains("string cannot be read as the reader's long", error.Message);
        Assert.Contains("Writer schema (id 9): {\"name\":\"com.example.crm.Customer\"", error.Message);
        Assert.Contains("Reader schema: {\"name\":\"com.example.crm.Customer\",\"type\":\"record\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"}", error.Message);
    }

    [Fact]
    public void Missing_field_without_default_is_an_error_naming_it()
    {
        const string writer = """{"type":"record","name":"Customer","namespace":"com.example.crm","fields":[]}""";
        var plan = AvroResolver.Plan(AvroSchema.Parse(writer), AvroSchema.Parse(KafkaAvroDeserializer_TypedKafka_RuntimeTests_Customer.ReaderSchemaJson))!;
        Assert.Equal(AvroReadOperation.Error, plan.Operation);
        Assert.Contains("'Customer.id'", plan.Error);
        Assert.Contains("has no field id and the reader's field has no default", plan.Error);
    }

    [Fact]
    public void Unknown_enum_symbol_without_reader_default_fails_only_the_values_that_carry_it()
    {
        const string writer = """{"type":"record","name":"R","fields":[{"name":"e","type":{"type":"enum","name":"E","symbols":["A","Z"]}}]}""";
        const string reader = """{"type":"record","name":"R","fields":[{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}}]}""";
        var plan = AvroResolver.Plan(AvroSchema.Parse(writer), AvroSchema.Parse(reader))!;
        var fieldPlan = plan.Fields[0].Plan;
        var known = new AvroBinaryReader([0]);
        Assert.Equal(0, AvroResolving.ReadEnum(ref known, fieldPlan));
        var error = Assert.Throws<AvroSchemaResolutionException>(() =>
        {
            var unknown = new AvroBinaryReader([2]);
            AvroResolving.ReadEnum(ref unknown, fieldPlan);
        });
        Assert.Contains("'Z'", error.Message);
    }

    [Fact]
    public void Same_schema_gives_no_plan_and_the_registry_path_uses_the_fast_decoder()
    {
        Assert.Null(AvroResolver.Plan(AvroSchema.Parse(KafkaAvroDeserializer_TypedKafka_RuntimeTests_Customer.ReaderSchemaJson),
            AvroSchema.Parse(KafkaAvroDeserializer_TypedKafka_RuntimeTests_Customer.ReaderSchemaJson)));
    }

    [Fact]
    public void Framed_values_with_interleaved_schema_ids_are_resolved_and_each_id_is_fetched_once()
    {
        var registry = new CountingRegistry();
        registry.Add(1, KafkaAvroDeserializer_TypedKafka_RuntimeTests_Customer.ReaderSchemaJson);
        registry.Add(2, CustomerV1);
        registry.Add(3, CustomerV1.Replace("\"name\":\"score\",\"type\":\"float\"", "\"name\":\"score\",\"type\":\"double\""));
        var readerApache = Avro.Schema.Parse(KafkaAvroDeserializer_TypedKafka_RuntimeTests_Customer.ReaderSchemaJson);
        var reader = AvroSchema.Parse(KafkaAvroDeserializer_TypedKafka_RuntimeTests_Customer.ReaderSchemaJson);
        var deserializer = (IMessageDeserializer<Customer>)TestSupport.Handler("customers").ValueDeserializer;
        var context = new MessageContext("customers", 0, 0) { SchemaRegistry = registry };
        var random = new Random(7);
        for (int round = 0; round < 10; round++)
        {
            var stream = new MemoryStream();
            new Avro.Generic.GenericDatumWriter<object>(readerApache).Write(new AvroResolutionDifferentialTests.ValueGenerator(random).Value(readerApache)!, new Avro.IO.BinaryEncoder(stream));
            byte[] same = stream.ToArray();
            var viaRegistry = deserializer.Deserialize(Frame(1, same), false, context);
            Assert.Equal(
                AvroResolutionDifferentialTests.Normalize.Typed(KafkaAvroDeserializer_TypedKafka_RuntimeTests_Customer.Decode(same), reader),
                AvroResolutionDifferentialTests.Normalize.Typed(viaRegistry, reader));

            var v1 = deserializer.Deserialize(Frame(2, WriteV1(2.5f)), false, context);
            Assert.Equal(42L, v1.Id);
            Assert.Equal(2.5, v1.Score);
            Assert.Equal(Customer.TierType.Bronze, v1.Tier);

            var v3 = deserializer.Deserialize(Frame(3, WriteV1(0.25f, double.Parse("1e300", System.Globalization.CultureInfo.InvariantCulture))), false, context);
            Assert.Equal(1e300, v3.Score);
        }

        Assert.Equal(new Dictionary<int, int> { [1] = 1, [2] = 1, [3] = 1 }, registry.Fetches);
    }

    [Fact]
    public void A_registry_that_is_down_is_not_a_deserialization_failure_and_an_unknown_id_is()
    {
        var registry = new CountingRegistry { Down = true };
        var deserializer = (IDeserializer<Customer>)TestSupport.Handler("customers").ValueDeserializer;
        var context = new MessageContext("customers", 0, 5) { SchemaRegistry = registry };
        byte[] value = Frame(2, WriteV1(1f));
        var down = Assert.Throws<SchemaRegistryException>(() => KafkaHandlerRuntime.DeserializeValue(deserializer, false, default, true, value, false, context));
        Assert.True(down.IsRetriable);

        registry.Down = false;
        var unknown = Assert.Throws<RecordDeserializationException>(() => KafkaHandlerRuntime.DeserializeValue(deserializer, false, default, true, value, false, context));
        Assert.Contains("Schema 2 not found", unknown.InnerException!.Message);

        registry.Add(2, CustomerV1);
        Assert.Equal(42L, KafkaHandlerRuntime.DeserializeValue(deserializer, false, default, true, value, false, context).Id);
    }

    [Fact]
    public void An_incompatible_registered_writer_schema_is_a_deserialization_failure_naming_the_field()
    {
        var registry = new CountingRegistry();
        registry.Add(5, """{"type":"record","name":"Customer","namespace":"com.example.crm","fields":[{"name":"id","type":"boolean"}]}""");
        var deserializer = (IDeserializer<Customer>)TestSupport.Handler("customers").ValueDeserializer;
        var context = new MessageContext("customers", 0, 5) { SchemaRegistry = registry };
        var failure = Assert.Throws<RecordDeserializationException>(() => KafkaHandlerRuntime.DeserializeValue(deserializer, false, default, true, Frame(5, [1]), false, context));
        var inner = Assert.IsType<AvroSchemaResolutionException>(failure.InnerException);
        Assert.Contains("field 'Customer.id'", inner.Message);
        Assert.Contains("(id 5)", inner.Message);
    }

    internal static byte[] WriteV1(float score, double? overrideScore = null)
    {
        string schemaText = overrideScore is null ? CustomerV1 : CustomerV1.Replace("\"name\":\"score\",\"type\":\"float\"", "\"name\":\"score\",\"type\":\"double\"");
        var writer = (Avro.RecordSchema)Avro.Schema.Parse(schemaText);
        var record = new Avro.Generic.GenericRecord(writer);
        var location = (Avro.RecordSchema)((Avro.UnionSchema)writer["address"].Schema).Schemas[0];
        var address = new Avro.Generic.GenericRecord(location);
        address.Add("street", "Dam 1");
        address.Add("land", "BE");
        var visitSchema = (Avro.RecordSchema)((Avro.ArraySchema)((Avro.UnionSchema)writer["history"].Schema).Schemas[1]).ItemSchema;
        var visit = new Avro.Generic.GenericRecord(visitSchema);
        visit.Add("at", 77);
        record.Add("id", 42);
        record.Add("full_name", "Ann"u8.ToArray());
        record.Add("score", overrideScore is null ? (object)score : overrideScore.Value);
        record.Add("level", new Avro.Generic.GenericEnum((Avro.EnumSchema)writer["level"].Schema, "Low"));
        record.Add("address", address);
        record.Add("history", new object[] { visit });
        record.Add("token", new Avro.Generic.GenericFixed((Avro.FixedSchema)writer["token"].Schema, [1, 2, 3, 4]));
        record.Add("tier", new Avro.Generic.GenericEnum((Avro.EnumSchema)writer["tier"].Schema, "Platinum"));
        record.Add("nickname", "annie");
        record.Add("dropped", new Dictionary<string, object> { ["k"] = new object[] { 1.0, 2.0 } });
        var stream = new MemoryStream();
        new Avro.Generic.GenericDatumWriter<object>(writer).Write(record, new Avro.IO.BinaryEncoder(stream));
        return stream.ToArray();
    }

    private sealed class CountingRegistry : ISchemaRegistryClient
    {
        private readonly Dictionary<int, string> _schemas = new();

        public bool Down { get; set; }

        public Dictionary<int, int> Fetches { get; } = new();

        public void Add(int id, string schema) => _schemas[id] = schema;

        public RegisteredSchema GetSchema(int id)
        {
            if (Down)
                throw new SchemaRegistryException("The Schema Registry at http://127.0.0.1:1 did not answer GET /schemas/ids/" + id, isRetriable: true);
            Fetches[id] = Fetches.GetValueOrDefault(id) + 1;
            return _schemas.TryGetValue(id, out var text)
                ? new RegisteredSchema(id, "AVRO", text, [])
                : throw new SchemaRegistryException($"Schema {id} not found", isRetriable: false, 404, 40403);
        }

        public Task<RegisteredSchema> GetSchemaAsync(int id, CancellationToken cancellationToken = default) => Task.FromResult(GetSchema(id));

        public Dictionary<Guid, int> Guids { get; } = new();

        public RegisteredSchema GetSchema(Guid guid) => Guids.TryGetValue(guid, out int id)
            ? GetSchema(id)
            : throw new SchemaRegistryException($"Schema {guid} not found", isRetriable: false, 404, 40403);
    }

    internal static byte[] Frame(int schemaId, byte[] payload)
    {
        var framed = new byte[payload.Length + 5];
        BinaryPrimitives.WriteInt32BigEndian(framed.AsSpan(1), schemaId);
        payload.CopyTo(framed, 5);
        return framed;
    }
}

/// <summary>Issue 14, item 7: the schema named by a __value_schema_id header (GUID or id) instead of the payload prefix.</summary>
public class AvroSchemaIdHeaderTests
{
    [Fact]
    public async Task A_guid_header_names_the_writer_schema_and_the_payload_has_no_prefix()
    {
        await using var registry = new TypedKafka.Testing.SchemaRegistry.TestSchemaRegistry();
        {
            int id = registry.Register("customers-value", AvroResolutionTests.CustomerV1);
            var guid = registry.GuidOf(id);
            using var client = new SchemaRegistryClient(new SchemaRegistryOptions { Url = registry.Url, RetryBackoff = TimeSpan.FromMilliseconds(5), MaxRetryBackoff = TimeSpan.FromMilliseconds(5) });
            var deserializer = (IMessageDeserializer<Customer>)TestSupport.Handler("customers").ValueDeserializer;
            byte[] header = [1, .. guid.ToByteArray(bigEndian: true)];
            var context = new MessageContext("customers", 0, 0, headers: [new Header("__value_schema_id", header)]) { SchemaRegistry = client };
            for (int i = 0; i < 3; i++)
            {
                var customer = deserializer.Deserialize(AvroResolutionTests.WriteV1(1.5f), false, context);
                Assert.Equal(42L, customer.Id);
                Assert.Equal(1.5, customer.Score);
            }

            Assert.Equal(1, registry.Count($"GET /schemas/guids/{guid:D}"));

            var byId = new MessageContext("customers", 0, 0, headers: [new Header("__value_schema_id", new byte[] { 0, 0, 0, 0, (byte)id })]) { SchemaRegistry = client };
            Assert.Equal(42L, deserializer.Deserialize(AvroResolutionTests.WriteV1(1.5f), false, byId).Id);

            var bad = new MessageContext("customers", 0, 0, headers: [new Header("__value_schema_id", new byte[] { 7 })]) { SchemaRegistry = client };
            Assert.Contains("__value_schema_id header", Assert.Throws<InvalidDataException>(() => deserializer.Deserialize(AvroResolutionTests.WriteV1(1f), false, bad)).Message);
        }
    }
}
