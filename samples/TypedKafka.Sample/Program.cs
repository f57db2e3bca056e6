using System.Diagnostics;
using System.Text;
using TypedKafka;
using TypedKafka.Testing;

// TypedKafka sample: starts an embedded Kafka cluster (or uses --bootstrap-servers host:port for a real one), seeds
// records with an independent producer, then reads them back with TypedKafka's KafkaConsumer.
// Usage: dotnet run --project samples/TypedKafka.Sample [-- --bootstrap-servers host:9092] [--records N]

var bootstrap = Argument(args, "--bootstrap-servers");
var recordCount = int.Parse(Argument(args, "--records") ?? "1000", System.Globalization.CultureInfo.InvariantCulture);
const string Topic = "typedkafka-sample";
const int Partitions = 3;
using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
var ct = timeout.Token;

KafkaTestCluster? cluster = null;
if (bootstrap is null)
{
    cluster = await KafkaTestCluster.StartAsync(brokers: 3, cancellationToken: ct);
    bootstrap = cluster.BootstrapServers;
    cluster.CreateTopic(Topic, Partitions);
    Console.WriteLine($"Started an embedded 3-broker cluster at {bootstrap} (librdkafka {cluster.NativeVersion} mock broker).");
}
else
{
    Console.WriteLine($"Using the cluster at {bootstrap}; topic '{Topic}' must exist or be auto-created.");
}

try
{
    // 1. Seed: an independent producer (Confluent.Kafka, wrapped by TypedKafka.Testing) writes JSON orders.
    var producer = cluster?.Producer;
    using var ownProducer = producer is null ? TestProducer.Create(bootstrap, new TestProducerOptions()) : null;
    var clock = Stopwatch.StartNew();
    var produced = await (producer ?? ownProducer!).ProduceAsync(Topic, Enumerable.Range(0, recordCount).Select(i =>
        new TestRecord(Encoding.UTF8.GetBytes($"order-{i}"),
            Encoding.UTF8.GetBytes($$"""{"id":{{i}},"sku":"ABC-{{i % 97:00000}}","qty":{{1 + i % 5}}}"""))
        {
            Partition = i % Partitions,
            Headers = [new("source", "sample"u8.ToArray())],
        }), ct);
    Console.WriteLine($"Produced {produced.Count} records in {clock.ElapsedMilliseconds} ms.");

    // 2. Read them back with KafkaConsumer in assign mode: every partition from the beginning.
    await using var consumer = new KafkaConsumer<string?, string?>(new ConsumerOptions
    {
        BootstrapServers = bootstrap,
        ClientId = "typedkafka-sample",
        AutoOffsetReset = AutoOffsetReset.Earliest,
    });
    var partitions = await consumer.PartitionsForTopicAsync(Topic, ct) ?? throw new InvalidOperationException($"Topic {Topic} does not exist.");
    consumer.Assign(partitions.Select(p => new TopicPartition(Topic, p)));
    var counts = new Dictionary<int, int>();
    var last = new Dictionary<int, string>();
    var total = 0;
    clock.Restart();
    while (total < recordCount && !ct.IsCancellationRequested)
    {
        foreach (var record in await consumer.PollAsync(TimeSpan.FromSeconds(1), cancellationToken: ct))
        {
            counts[record.Partition] = counts.GetValueOrDefault(record.Partition) + 1;
            last[record.Partition] = $"{record.Key} => {record.Value}";
            total++;
        }
    }
    Console.WriteLine($"Consumed {total} records in {clock.ElapsedMilliseconds} ms.");
    foreach (var (partition, count) in counts.OrderBy(c => c.Key))
        Console.WriteLine($"  {Topic}-{partition}: {count} records; last: {last[partition]}");

    Console.WriteLine(total == recordCount
        ? $"Read all {total} records back. Done."
        : $"Read {total} records but produced {recordCount}.");
    return total == recordCount ? 0 : 1;
}
finally
{
    if (cluster is not null) await cluster.DisposeAsync();
}

static string? Argument(string[] args, string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
