using System.Diagnostics;
using System.Text;
using TypedKafka;
using TypedKafka.Protocol;
using TypedKafka.Sample;
using TypedKafka.Testing;

// TypedKafka sample: starts an embedded Kafka cluster (or uses --bootstrap-servers host:port for a real one), seeds
// records with an independent producer, then reads them back through TypedKafka's wire-protocol layer.
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

    // 2. Read them back: Metadata to find each partition's leader, then Fetch from offset 0 to the high watermark.
    var (host, port) = SplitHostPort(bootstrap.Split(',')[0]);
    using var bootstrapClient = await WireClient.ConnectAsync(host, port, ct);
    var metadataVersion = bootstrapClient.Version(ApiKey.Metadata);
    var metadata = await bootstrapClient.RequestAsync<MetadataResponse>(
        new MetadataRequest { Topics = [new MetadataRequest.MetadataRequestTopic { Name = Topic }] }, metadataVersion, ct);
    var topic = metadata.Topics.Single(t => t.Name == Topic);
    Console.WriteLine($"Metadata v{metadataVersion}: {metadata.Brokers.Count} brokers, topic '{Topic}' has {topic.Partitions.Count} partitions.");

    var total = 0;
    foreach (var partition in topic.Partitions.OrderBy(p => p.PartitionIndex))
    {
        var leader = metadata.Brokers.Single(b => b.NodeId == partition.LeaderId);
        using var client = await WireClient.ConnectAsync(leader.Host, leader.Port, ct);
        var fetchVersion = client.Version(ApiKey.Fetch);
        long offset = 0, highWatermark = long.MaxValue;
        var count = 0;
        string? last = null;
        while (offset < highWatermark)
        {
            var request = new FetchRequest
            {
                MaxWaitMs = 100,
                MinBytes = 1,
                Topics =
                [
                    new FetchRequest.FetchTopic
                    {
                        Topic = Topic, // versions 0-12 name the topic; 13+ use its id (KIP-516)
                        TopicId = fetchVersion >= 13 ? topic.TopicId : default,
                        Partitions = [new FetchRequest.FetchPartition { Partition = partition.PartitionIndex, FetchOffset = offset, PartitionMaxBytes = 1 << 20 }],
                    },
                ],
            };
            var response = await client.RequestAsync<FetchResponse>(request, fetchVersion, ct);
            var data = response.Responses.Single().Partitions.Single();
            if (data.ErrorCode != 0)
                throw new KafkaException($"Fetch from {Topic}-{partition.PartitionIndex}: {ErrorCodes.KafkaName((ErrorCode)data.ErrorCode)}");
            highWatermark = data.HighWatermark;
            using var reader = new RecordSetReader(data.Records ?? default, new RecordReadOptions { CheckCrcs = true }, startOffset: offset);
            while (reader.TryReadNextBatch(out var batch))
            {
                while (reader.TryReadNextRecord(out var record))
                {
                    if (record.IsControl) continue;
                    count++;
                    last = $"{Encoding.UTF8.GetString(record.Key)} => {Encoding.UTF8.GetString(record.Value)}";
                }
                offset = batch.NextOffset;
            }
        }
        total += count;
        Console.WriteLine($"  {Topic}-{partition.PartitionIndex}: read {count} records (Fetch v{fetchVersion} from broker {leader.NodeId}); last: {last}");
    }

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

static (string Host, int Port) SplitHostPort(string hostPort)
{
    var colon = hostPort.LastIndexOf(':');
    return (hostPort[..colon], int.Parse(hostPort[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
}
