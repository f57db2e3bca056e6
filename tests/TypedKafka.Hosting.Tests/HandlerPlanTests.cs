using Microsoft.Extensions.Configuration;
namespace TypedKafka.Hosting.Tests;

/// <summary>Attribute values the engine cannot run are refused at start with the handler and the value named.</summary>
public sealed class HandlerPlanTests
{
    private sealed class TestCatalog(params KafkaHandlerDescriptor[] handlers) : KafkaHandlerCatalog
    {
        public override string AssemblyName => "TestCatalog";

        public override IReadOnlyList<KafkaHandlerDescriptor> Handlers => handlers;

        public override bool TryGetInvoker(string? groupId, string topic, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out KafkaRecordInvoker? invoker)
        {
            invoker = handlers.FirstOrDefault(h => h.Topic == topic && h.GroupId == groupId && !h.IsBatch)?.Invoker;
            return invoker is not null;
        }

        public override bool TryDispatch(string? groupId, string topic, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull,
            MessageContext context, IServiceProvider services, CancellationToken cancellationToken, out ValueTask completion)
        {
            completion = default;
            return false;
        }
    }

    private static KafkaHandlerDescriptor Record(string method, KafkaOrdering ordering = KafkaOrdering.Partition, int maxConcurrency = 0) =>
        new("t", "g", typeof(string), null, KafkaMessageFormat.Json, typeof(HandlerPlanTests), method, DeserializationErrorPolicy.Stop,
            KafkaWireFormat.Auto, Deserializers.Utf8, (_, _, _, _, _, _, _) => default, null, 0, ordering, maxConcurrency);

    private static KafkaHandlerDescriptor Batch(string method, KafkaOrdering ordering = KafkaOrdering.Partition, int maxBatchSize = 0, int maxBatchWaitMs = 0) =>
        new("t", "g", typeof(string), null, KafkaMessageFormat.Json, typeof(HandlerPlanTests), method, DeserializationErrorPolicy.Stop,
            KafkaWireFormat.Auto, Deserializers.Utf8, null, () => new KafkaBatchBuffer<string?>(Deserializers.Utf8, true, (_, _, _, _) => default),
            maxBatchSize, ordering, 0, maxBatchWaitMs);

    private static ArgumentException Refused(params KafkaHandlerDescriptor[] handlers) =>
        Assert.Throws<ArgumentException>(() => HandlerPlan.Build([new TestCatalog(handlers)], new TypedKafkaOptions()));

    [Fact]
    public void Negative_or_undefined_values_are_refused_with_the_handler_and_the_value()
    {
        var e = Refused(Record("A", maxConcurrency: -3));
        Assert.Contains("HandlerPlanTests.A", e.Message);
        Assert.Contains("MaxConcurrency = -3", e.Message);
        Assert.Equal("MaxConcurrency", e.ParamName);
        Assert.Contains("Ordering = 7", Refused(Record("B", (KafkaOrdering)7)).Message);
        Assert.Contains("MaxBatchSize = -1", Refused(Batch("C", maxBatchSize: -1)).Message);
        Assert.Contains("MaxBatchWaitMs = -5", Refused(Batch("D", maxBatchWaitMs: -5)).Message);
    }

    [Fact]
    public void A_batch_handler_must_use_Partition_ordering()
    {
        var e = Refused(Batch("E", KafkaOrdering.Key));
        Assert.Contains("HandlerPlanTests.E", e.Message);
        Assert.Contains("not Key", e.Message);
    }

    [Fact]
    public void Record_handlers_of_one_topic_must_agree_on_their_ordering()
    {
        var e = Refused(Record("F", KafkaOrdering.Key), Record("G", KafkaOrdering.Unordered));
        Assert.Contains("HandlerPlanTests.F has Ordering = Key", e.Message);
        Assert.Contains("HandlerPlanTests.G has Ordering = Unordered", e.Message);
    }

    [Fact]
    public void Defaults_are_every_partition_for_Partition_and_64_for_Key_and_Unordered()
    {
        TopicRoute Route(KafkaHandlerDescriptor handler) => HandlerPlan.Build([new TestCatalog(handler)], new TypedKafkaOptions()).Single().Routes["t"];
        Assert.Equal(int.MaxValue, Route(Record("H")).MaxConcurrency);
        Assert.Equal(64, Route(Record("I", KafkaOrdering.Key)).MaxConcurrency);
        Assert.Equal(64, Route(Record("J", KafkaOrdering.Unordered)).MaxConcurrency);
        Assert.Equal(5, Route(Record("K", KafkaOrdering.Unordered, 5)).MaxConcurrency);
    }
}

/// <summary>The engine's settings bind from the TypedKafka section; bad values name the key.</summary>
public sealed class EngineConfigurationTests
{
    private static TypedKafkaOptions Bind(Dictionary<string, string?> settings)
    {
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var options = new TypedKafkaOptions();
        TypedKafkaConfiguration.Bind(configuration.GetSection("TypedKafka"), options);
        return options;
    }

    [Fact]
    public void Groups_MaxInFlightRecords_OnFatalError_and_RestartBackoff_bind()
    {
        var options = Bind(new()
        {
            ["TypedKafka:Groups:0"] = "orders",
            ["TypedKafka:Groups:1"] = "payments",
            ["TypedKafka:MaxInFlightRecords"] = "2500",
            ["TypedKafka:OnFatalError"] = "restart",
            ["TypedKafka:RestartBackoff"] = "00:00:02",
        });
        Assert.Equal(["orders", "payments"], options.Groups);
        Assert.Equal(2500, options.MaxInFlightRecords);
        Assert.Equal(FatalErrorAction.Restart, options.OnFatalError);
        Assert.Equal(TimeSpan.FromSeconds(2), options.RestartBackoff);
        Assert.Equal(["a", "b"], Bind(new() { ["TypedKafka:Groups"] = "a, b" }).Groups);
    }

    [Fact]
    public void Bad_values_name_the_key_and_the_value()
    {
        var e = Assert.Throws<ArgumentException>(() => Bind(new() { ["TypedKafka:OnFatalError"] = "Explode" }));
        Assert.Contains("TypedKafka:OnFatalError", e.Message);
        Assert.Contains("Explode", e.Message);
        Assert.Contains("TypedKafka:MaxInFlightRecords", Assert.Throws<ArgumentException>(() => Bind(new() { ["TypedKafka:MaxInFlightRecords"] = "lots" })).Message);
        var zero = Assert.Throws<ArgumentException>(() => new TypedKafkaOptions { MaxInFlightRecords = 0 }.Validate());
        Assert.Equal(nameof(TypedKafkaOptions.MaxInFlightRecords), zero.ParamName);
        Assert.Equal(nameof(TypedKafkaOptions.Groups), Assert.Throws<ArgumentException>(() => new TypedKafkaOptions { Groups = [" "] }.Validate()).ParamName);
    }
}
