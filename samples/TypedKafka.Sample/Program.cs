using System.Diagnostics;
using System.Text;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TypedKafka;
using TypedKafka.Hosting;
using TypedKafka.Sample;
using TypedKafka.Sample.Proto;
using TypedKafka.Testing;

// TypedKafka sample: starts an embedded 3-broker Kafka cluster (or uses --bootstrap-servers host:port), publishes
// orders (JSON), payments (Avro) and shipments (Protobuf) with an independent producer, then runs the [KafkaTopic]
// handlers in Handlers.cs with AddTypedKafka in a generic host until every record is handled, and shows the
// committed offsets. Half of the payments are written with the older schema Schemas/payment.v1.avsc and framed with
// its Schema Registry id (an in-process registry here); the handler reads them through schema resolution.
// Usage: dotnet run --project samples/TypedKafka.Sample [-- --bootstrap-servers host:9092] [--records N]

var bootstrap = Argument(args, "--bootstrap-servers");
var count = int.Parse(Argument(args, "--records") ?? "1000", System.Globalization.CultureInfo.InvariantCulture);
string[] topics = ["orders", "payments", "shipments"];
using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
var ct = timeout.Token;

KafkaTestCluster? cluster = null;
if (bootstrap is null)
{
    cluster = await KafkaTestCluster.StartAsync(brokers: 3, cancellationToken: ct);
    bootstrap = cluster.BootstrapServers;
    foreach (var topic in topics) cluster.CreateTopic(topic, 3);
    Console.WriteLine($"Started an embedded 3-broker cluster at {bootstrap} (librdkafka {cluster.NativeVersion} mock broker).");
}
else
{
    Console.WriteLine($"Using the cluster at {bootstrap}; topics {string.Join(", ", topics)} must exist or be auto-created.");
}

await using var registry = new TypedKafka.Testing.SchemaRegistry.TestSchemaRegistry();
try
{
    // 1. Publish with an independent producer (librdkafka's C API, called by TypedKafka.Testing's NativeProducer: AOT-safe).
    using var producer = NativeProducer.Create(bootstrap);
    var clock = Stopwatch.StartNew();
    await producer.ProduceAsync("orders", Enumerable.Range(0, count).Select(i => new TestRecord(
        Encoding.UTF8.GetBytes($"customer-{i % 13}"), // the key: orders of one customer stay in order (Key ordering)
        Encoding.UTF8.GetBytes($$"""{"Id":{{i}},"Sku":"ABC-{{i % 97:00000}}","Qty":{{1 + i % 5}},"Price":{{10 + i % 7}}.25}"""))), ct);
    // Payments: the current schema (v2) for even orders, the older v1 (int amount, no currency) for odd ones, each
    // framed with its registry id as Confluent's serializers frame them.
    int v1 = registry.Register("payments-value", PaymentV1Schema);
    int v2 = registry.Register("payments-value", TypedKafka.Generated.KafkaAvroDeserializer_TypedKafka_Sample_Payment.ReaderSchemaJson);
    await producer.ProduceAsync("payments", Enumerable.Range(0, count).Select(i => new TestRecord(null,
        i % 2 == 0 ? Framed(v2, AvroPayment(i, $"customer-{i % 13}", 1_000 + i, "USD")) : Framed(v1, AvroPayment(i, $"customer-{i % 13}", 1_000 + i, null)))), ct);
    await producer.ProduceAsync("shipments", Enumerable.Range(0, count).Select(i =>
        new TestRecord(null, new Shipment { OrderId = $"order-{i}", Carrier = i % 2 == 0 ? "DHL" : "UPS", Parcels = 1 + i % 3 }.ToByteArray())), ct);
    Console.WriteLine($"Published {3 * count} records (JSON, Avro, Protobuf) in {clock.ElapsedMilliseconds} ms.");

    // 2. Run the handlers: one consumer group per GroupId ("sample" by default, "logistics" for shipments).
    var builder = Host.CreateApplicationBuilder(args);
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.Services.AddSingleton<Tally>();
    builder.Services.AddTypedKafka(options =>
    {
        options.BootstrapServers = bootstrap;
        options.GroupId = "sample";
        options.Consumer.AutoOffsetReset = AutoOffsetReset.Earliest;
        options.SchemaRegistry = new TypedKafka.SchemaRegistry.SchemaRegistryOptions { Url = registry.Url };
    });
    using var host = builder.Build();
    clock.Restart();
    await host.StartAsync(ct);
    await host.Services.GetRequiredService<TypedKafkaReadiness>().WhenReadyAsync(ct);
    var tally = host.Services.GetRequiredService<Tally>();
    while (tally.Total < 3L * count && !ct.IsCancellationRequested) await Task.Delay(50, ct);
    Console.WriteLine($"Handled {tally.Orders} orders, {tally.Payments} payments ({tally.RevenueCents / 100m:0.00} in total, {tally.DefaultedCurrency} of them written with schema v1 and given the default currency) " +
                      $"and {tally.Shipments} shipments ({tally.Parcels} parcels) in {clock.ElapsedMilliseconds} ms.");
    await host.StopAsync(ct); // stops fetching, lets the handlers in flight finish, commits, leaves the groups

    // 3. The committed offsets, read back with a plain KafkaConsumer.
    foreach (var (group, topic) in new[] { ("sample", "orders"), ("sample", "payments"), ("logistics", "shipments") })
    {
        await using var consumer = new KafkaConsumer<Ignore, Ignore>(new ConsumerOptions { BootstrapServers = bootstrap, GroupId = group });
        var partitions = (await consumer.PartitionsForTopicAsync(topic, ct))!.Select(p => new TopicPartition(topic, p)).ToList();
        var committed = await consumer.CommittedAsync(partitions, ct);
        Console.WriteLine($"  group {group}, topic {topic}: committed {committed.Values.Sum(c => c?.Offset ?? 0)} of {count}");
    }

    var ok = tally.Total == 3L * count;
    Console.WriteLine(ok ? "Done." : $"Handled {tally.Total} of {3 * count} records.");
    return ok ? 0 : 1;
}
finally
{
    if (cluster is not null) await cluster.DisposeAsync();
}

// Avro binary for the payment schema: zigzag varints and length-prefixed UTF-8 strings (v1 has no currency; its int
// amount has the same encoding as a long).
static byte[] AvroPayment(long orderId, string payer, long amountCents, string? currency)
{
    var bytes = new List<byte>();
    void Long(long v)
    {
        var z = (ulong)((v << 1) ^ (v >> 63));
        for (; z >= 0x80; z >>= 7) bytes.Add((byte)(z | 0x80));
        bytes.Add((byte)z);
    }
    Long(orderId);
    var text = Encoding.UTF8.GetBytes(payer);
    Long(text.Length);
    bytes.AddRange(text);
    Long(amountCents);
    if (currency is not null)
    {
        var code = Encoding.UTF8.GetBytes(currency);
        Long(code.Length);
        bytes.AddRange(code);
    }
    return [.. bytes];
}

// The Confluent framing: magic byte 0, the 4-byte big-endian schema id, the Avro binary.
static byte[] Framed(int schemaId, byte[] avro) =>
    [0, (byte)(schemaId >> 24), (byte)(schemaId >> 16), (byte)(schemaId >> 8), (byte)schemaId, .. avro];

static string? Argument(string[] args, string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

internal partial class Program
{
    private const string PaymentV1Schema = """{"type":"record","name":"Payment","namespace":"TypedKafka.Sample","fields":[{"name":"order_id","type":"long"},{"name":"payer","type":"string"},{"name":"amount_cents","type":"int"}]}""";
}
