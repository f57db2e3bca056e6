using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using TypedKafka;

[assembly: KafkaJsonNaming(KafkaJsonNamingPolicy.CamelCase)]

namespace TypedKafka.Generators.Benchmarks;

public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(JsonBenchmarks).Assembly).Run(args);
}

/// <summary>The benchmark record of docs/performance.md.</summary>
public sealed record OrderRecord(long Id, string Sku, int Qty, decimal Price, string? Note);

public static class Handlers
{
    [KafkaTopic("orders")]
    public static void Handle(OrderRecord order)
    {
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(OrderRecord))]
internal sealed partial class StjContext : JsonSerializerContext
{
}

/// <summary>The generated Utf8JsonReader deserializer against System.Text.Json's source-generated metadata, on the ~100-byte record.</summary>
[MemoryDiagnoser]
public class JsonBenchmarks
{
    private readonly byte[] _json = Encoding.UTF8.GetBytes("""{"id":1234567,"sku":"ABC-12345","qty":17,"price":1234.56,"note":"deliver to the back door please"}""");
    private IDeserializer<OrderRecord> _generated = null!;
    private readonly SerializationContext _context = new("orders", 0, false, Array.Empty<Header>());

    [GlobalSetup]
    public void Setup() =>
        _generated = (IDeserializer<OrderRecord>)KafkaHandlerRegistry.Catalogs.Single().Handlers.Single().ValueDeserializer;

    [Benchmark(Baseline = true)]
    public OrderRecord? SystemTextJsonSourceGen() => JsonSerializer.Deserialize(_json, StjContext.Default.OrderRecord);

    [Benchmark]
    public OrderRecord TypedKafkaGenerated() => _generated.Deserialize(_json, false, _context);
}

/// <summary>One record through the generated invoker (deserialize + dispatch to a handler that does nothing).</summary>
[MemoryDiagnoser]
public class DispatchBenchmarks
{
    private readonly byte[] _json = Encoding.UTF8.GetBytes("""{"id":1234567,"sku":"ABC-12345","qty":17,"price":1234.56,"note":"deliver to the back door please"}""");
    private readonly MessageContext _context = new("orders", 0, 42);
    private readonly IServiceProvider _services = new EmptyServices();
    private KafkaRecordInvoker _invoker = null!;
    private KafkaHandlerCatalog _catalog = null!;
    private IDeserializer<OrderRecord> _deserializer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _catalog = KafkaHandlerRegistry.Catalogs.Single();
        _catalog.TryGetInvoker(null, "orders", out var invoker);
        _invoker = invoker!;
        _deserializer = (IDeserializer<OrderRecord>)_catalog.Handlers.Single().ValueDeserializer;
    }

    [Benchmark(Baseline = true)]
    public OrderRecord DeserializeOnly() => _deserializer.Deserialize(_json, false, default);

    [Benchmark]
    public ValueTask Invoker() => _invoker(default, true, _json, false, _context, _services, default);

    [Benchmark]
    public ValueTask DispatchSwitch()
    {
        _catalog.TryDispatch(null, "orders", default, true, _json, false, _context, _services, default, out var completion);
        return completion;
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}
