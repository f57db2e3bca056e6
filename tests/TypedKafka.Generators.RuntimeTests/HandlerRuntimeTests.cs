using System.Text;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using TypedKafka.RuntimeTests.Proto;
using static TypedKafka.RuntimeTests.TestSupport;

namespace TypedKafka.RuntimeTests;

public class HandlerRuntimeTests
{
    private static readonly byte[] OrderJson = Encoding.UTF8.GetBytes("""{"id":42,"sku":"ABC-00042","qty":3,"price":19.99,"note":"gift"}""");

    [Fact]
    public void Module_initializer_registered_the_catalog_with_every_handler_in_deterministic_order()
    {
        var handlers = Catalog.Handlers;
        Assert.Equal(25, handlers.Count); // 16 + defaults-orders, defaults-accounts, customers, avro-parcels, proto-box, avro-legacy, avro-logical, avro-fixed-decimal, avro-unions (issue 14)
        var keys = handlers.Select(h => (h.GroupId ?? "") + "/" + h.Topic).ToList();
        Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), keys);
        Assert.Equal(KafkaMessageFormat.Protobuf, Handler("proto").Format);
        Assert.Equal(KafkaMessageFormat.Avro, Handler("avro-schema").Format);
        Assert.Equal(KafkaMessageFormat.Avro, Handler("avro-specific").Format);
        Assert.Equal(KafkaMessageFormat.Json, Handler("orders").Format);
        Assert.Equal(DeserializationErrorPolicy.Skip, Handler("keyed").OnDeserializationError);
        Assert.Equal(typeof(string), Handler("keyed").KeyType);
        Assert.True(Handler("batch").IsBatch);
        Assert.Equal(100, Handler("batch").MaxBatchSize);
        Assert.Equal("TypedKafka.RuntimeTests.OrderHandler.HandleAsync", Handler("orders").DisplayName);
    }

    [Fact]
    public void Generated_extension_registers_the_catalog_once()
    {
        var services = new ServiceCollection();
        services.AddKafkaHandlersFromTypedKafka_Generators_RuntimeTests();
        services.AddKafkaHandlersFromTypedKafka_Generators_RuntimeTests();
        var catalogs = services.BuildServiceProvider().GetServices<KafkaHandlerCatalog>().ToList();
        Assert.Same(Catalog, Assert.Single(catalogs));
        Assert.False(KafkaHandlerRegistry.Register(Catalog));
    }

    [Fact]
    public async Task Instance_handler_is_built_by_the_generated_factory_with_its_dependencies()
    {
        var services = Services();
        var context = new MessageContext("orders", 2, 100, 1234, rawKey: new byte[] { 1 }, groupId: "billing");
        Assert.True(Catalog.TryGetInvoker(null, "orders", out var invoker));
        await Invoke(invoker!, null, OrderJson, context, services);
        var call = Assert.Single(services.GetRequiredService<Recorder>().Calls);
        Assert.Equal(new Order(42, "ABC-00042", 3, 19.99m, "gift"), call.Message);
        Assert.Same(context, call.Context);
    }

    [Fact]
    public async Task Registered_handler_instance_is_taken_from_the_services()
    {
        var recorder = new Recorder();
        var handler = new OrderHandler(recorder, new FixedClock(), "registered");
        var services = Services(s => s.AddSingleton(handler));
        await Invoke(Handler("orders").Invoker!, null, OrderJson, new MessageContext("orders", 0, 1), services);
        Assert.Single(recorder.Calls);
        Assert.Empty(services.GetRequiredService<Recorder>().Calls);
    }

    [Fact]
    public void Missing_dependency_names_the_handler_and_the_service()
    {
        var services = new ServiceCollection().AddSingleton(new Recorder()).BuildServiceProvider();
        var error = Assert.Throws<InvalidOperationException>(() =>
            Invoke(Handler("orders").Invoker!, null, OrderJson, new MessageContext("orders", 0, 1), services).GetAwaiter().GetResult());
        Assert.Contains("TypedKafka.RuntimeTests.OrderHandler", error.Message);
        Assert.Contains("TypedKafka.RuntimeTests.IClock", error.Message);
    }

    [Fact]
    public async Task Dispatch_switch_routes_by_group_and_topic_and_runs_every_handler_of_a_route()
    {
        var services = Services();
        StaticHandlers.Recorder.Calls.Clear();
        Assert.True(Catalog.TryDispatch(null, "multi", default, true, OrderJson, false, new MessageContext("multi", 0, 5), services, default, out var completion));
        await completion;
        Assert.True(Catalog.TryDispatch("audit", "orders-archive", default, true, OrderJson, false, new MessageContext("orders-archive", 0, 6), services, default, out completion));
        await completion;
        Assert.False(Catalog.TryDispatch("audit", "multi", default, true, OrderJson, false, new MessageContext("multi", 0, 7), services, default, out _));
        Assert.False(Catalog.TryDispatch(null, "unknown", default, true, OrderJson, false, new MessageContext("unknown", 0, 7), services, default, out _));
        Assert.False(Catalog.TryGetInvoker(null, "batch", out _));
        Assert.Equal(new[] { "MultiFirst", "MultiSecond", "Audit:orders-archive" }, StaticHandlers.Recorder.Calls.Select(c => c.Handler));
    }

    [Fact]
    public async Task Key_parameter_is_read_with_the_built_in_deserializer()
    {
        var services = Services();
        StaticHandlers.Recorder.Calls.Clear();
        await Invoke(Handler("keyed").Invoker!, Encoding.UTF8.GetBytes("order-42"), OrderJson, new MessageContext("keyed", 1, 9), services);
        var call = Assert.Single(StaticHandlers.Recorder.Calls);
        Assert.Equal("order-42", call.Key);

        var error = Assert.Throws<RecordDeserializationException>(() =>
            Invoke(Handler("int-keyed").Invoker!, new byte[] { 1, 2, 3 }, OrderJson, new MessageContext("int-keyed", 3, 77), services).GetAwaiter().GetResult());
        Assert.True(error.IsKey);
        Assert.Equal(77, error.Offset);
        Assert.Equal(new byte[] { 1, 2, 3 }, error.RawKey!.Value.ToArray());
    }

    [Fact]
    public void Malformed_value_becomes_RecordDeserializationException_with_position_and_raw_bytes()
    {
        var bad = Encoding.UTF8.GetBytes("""{"id":"not a number"}""");
        var error = Assert.Throws<RecordDeserializationException>(() =>
            Invoke(Handler("orders-sync").Invoker!, null, bad, new MessageContext("orders-sync", 4, 1234), Services()).GetAwaiter().GetResult());
        Assert.False(error.IsKey);
        Assert.Equal(("orders-sync", 4, 1234L), (error.Topic, error.Partition, error.Offset));
        Assert.Equal(bad, error.RawValue!.Value.ToArray());
        Assert.Null(error.RawKey);
        Assert.IsAssignableFrom<System.Text.Json.JsonException>(error.InnerException);
    }

    [Fact]
    public async Task Tombstone_is_null_for_nullable_handlers_and_an_error_otherwise()
    {
        StaticHandlers.Recorder.Calls.Clear();
        await Invoke(Handler("keyed").Invoker!, Encoding.UTF8.GetBytes("k"), null, new MessageContext("keyed", 0, 1), Services());
        Assert.Null(Assert.Single(StaticHandlers.Recorder.Calls).Message);
        var error = Assert.Throws<RecordDeserializationException>(() =>
            Invoke(Handler("orders-sync").Invoker!, null, null, new MessageContext("orders-sync", 0, 2), Services()).GetAwaiter().GetResult());
        Assert.Null(error.RawValue);
        Assert.IsType<InvalidDataException>(error.InnerException);
    }

    [Fact]
    public void Sync_handler_completes_synchronously()
    {
        var task = Invoke(Handler("noop").Invoker!, null, OrderJson, new MessageContext("noop", 0, 1), Services());
        Assert.True(task.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Batch_handler_receives_the_buffered_messages()
    {
        StaticHandlers.Recorder.Calls.Clear();
        var buffer = Handler("batch").CreateBatchBuffer!();
        var context = new MessageContext("batch", 0, 0);
        for (int i = 0; i < 3; i++)
            buffer.Add(default, true, Encoding.UTF8.GetBytes($$"""{"id":{{i}},"sku":"S","qty":1,"price":1,"note":null}"""), false, context);
        Assert.Throws<RecordDeserializationException>(() => buffer.Add(default, true, "{"u8, false, context));
        Assert.Equal(3, buffer.Count);
        await buffer.InvokeAsync(context, Services(), default);
        buffer.Clear();
        var orders = (List<Order>)Assert.Single(StaticHandlers.Recorder.Calls).Message!;
        Assert.Equal(new long[] { 0, 1, 2 }, orders.Select(o => o.Id));
        Assert.Equal(0, buffer.Count);
    }

    [Fact]
    public void Json_value_with_Confluent_prefix_is_unframed()
    {
        var framed = new byte[] { 0, 0, 0, 0, 7 }.Concat(OrderJson).ToArray();
        var order = Deserializer<Order>("orders").Deserialize(framed, false, default);
        Assert.Equal(42, order.Id);
    }

    [Fact]
    public void Protobuf_plain_and_Confluent_framed()
    {
        var message = new ProtoOrder { Id = 7, Sku = "ABC-00007", Qty = 2, Price = 1.5 };
        var plain = message.ToByteArray();
        var deserializer = Deserializer<ProtoOrder>("proto");
        Assert.Equal(message, deserializer.Deserialize(plain, false, default));
        // magic 0, schema id 1, message indexes [0] written as the single byte 0
        Assert.Equal(message, deserializer.Deserialize(new byte[] { 0, 0, 0, 0, 1, 0 }.Concat(plain).ToArray(), false, default));
        // explicit indexes: count 1 (zig-zag 2), index 0
        Assert.Equal(message, deserializer.Deserialize(new byte[] { 0, 0, 0, 0, 1, 2, 0 }.Concat(plain).ToArray(), false, default));
        Assert.Equal(new[] { 0 }, ConfluentWireFormat.DecodeMessageIndexes(new byte[] { 0 }));
        Assert.Equal(new[] { 1, 2 }, ConfluentWireFormat.DecodeMessageIndexes(new byte[] { 4, 2, 4 }));
        Assert.Throws<InvalidDataException>(() => deserializer.Deserialize(new byte[] { 0, 1 }, false, default));
        Assert.Equal(new ProtoOrder(), deserializer.Deserialize(ReadOnlySpan<byte>.Empty, false, default));
    }

    [Fact]
    public void Avro_specific_record_through_Apache_Avro()
    {
        var ping = new AvroPing { seq = 12345678901, source = "svc-a" };
        var stream = new MemoryStream();
        new Avro.Specific.SpecificDatumWriter<AvroPing>(AvroPing._SCHEMA).Write(ping, new Avro.IO.BinaryEncoder(stream));
        var bytes = stream.ToArray();
        var deserializer = Deserializer<AvroPing>("avro-specific");
        var read = deserializer.Deserialize(bytes, false, default);
        Assert.Equal((ping.seq, ping.source), (read.seq, read.source));
        var framed = deserializer.Deserialize(new byte[] { 0, 0, 0, 0, 3 }.Concat(bytes).ToArray(), false, default);
        Assert.Equal(ping.source, framed.source);
    }

    [Fact]
    public void Avro_schema_bound_type_decodes_what_Apache_Avro_encodes()
    {
        var schema = (Avro.RecordSchema)Avro.Schema.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "payment.avsc")));
        var record = new Avro.Generic.GenericRecord(schema);
        record.Add("id", 99L);
        record.Add("payer", "Zoë");
        record.Add("amount", new Avro.AvroDecimal(1234.56m));
        record.Add("day", new DateTime(2024, 2, 29, 0, 0, 0, DateTimeKind.Utc));
        record.Add("at", new DateTime(2024, 2, 29, 12, 30, 0, 123, DateTimeKind.Utc));
        record.Add("memo", null);
        record.Add("status", new Avro.Generic.GenericEnum((Avro.EnumSchema)schema["status"].Schema, "Settled"));
        record.Add("tags", new object[] { "a", "b" });
        record.Add("attributes", new Dictionary<string, object> { ["x"] = 1, ["y"] = -2 });
        var cardSchema = (Avro.RecordSchema)((Avro.UnionSchema)schema["card"].Schema).Schemas[1];
        var card = new Avro.Generic.GenericRecord(cardSchema);
        card.Add("last_four", "4242");
        card.Add("token", new Avro.Generic.GenericFixed((Avro.FixedSchema)cardSchema["token"].Schema, new byte[] { 1, 2, 3, 4 }));
        record.Add("card", card);
        record.Add("ratio", 0.25);
        record.Add("valid", true);
        var stream = new MemoryStream();
        new Avro.Generic.GenericDatumWriter<Avro.Generic.GenericRecord>(schema).Write(record, new Avro.IO.BinaryEncoder(stream));
        var bytes = stream.ToArray();

        foreach (var payload in new[] { bytes, new byte[] { 0, 0, 0, 0, 9 }.Concat(bytes).ToArray() })
        {
            var payment = Deserializer<Payment>("avro-schema").Deserialize(payload, false, default);
            Assert.Equal(99, payment.Id);
            Assert.Equal("Zoë", payment.Payer);
            Assert.Equal(1234.56m, payment.Amount);
            Assert.Equal(new DateOnly(2024, 2, 29), payment.Day);
            Assert.Equal(new DateTimeOffset(2024, 2, 29, 12, 30, 0, 123, TimeSpan.Zero), payment.At);
            Assert.Null(payment.Memo);
            Assert.Equal(Payment.PaymentStatus.Settled, payment.Status);
            Assert.Equal(new[] { "a", "b" }, payment.Tags);
            Assert.Equal(-2, payment.Attributes["y"]);
            Assert.Equal("4242", payment.Card!.LastFour);
            Assert.Equal(new byte[] { 1, 2, 3, 4 }, payment.Card.Token);
            Assert.Equal(0.25, payment.Ratio);
            Assert.True(payment.Valid);
        }

        Assert.ThrowsAny<Exception>(() => Deserializer<Payment>("avro-schema").Deserialize(bytes.AsSpan(0, bytes.Length - 1), false, default));
    }
}
