using System.Diagnostics;
using TypedKafka.Testing;

namespace TypedKafka.Benchmarks.EndToEnd;

/// <summary>
/// The <c>--broker</c> side: runs the embedded cluster in its own process so that the consumers' CPU figures
/// (<see cref="Process.TotalProcessorTime"/> of the benchmark process) do not include the broker's. Starts 3 brokers,
/// creates the topic, loads the data, prints <c>BOOTSTRAP host:port,...</c> on stdout and serves until stdin closes.
/// </summary>
internal static class BrokerHost
{
    public const string ReadyPrefix = "BOOTSTRAP ";

    public static async Task<int> RunAsync(BenchmarkSettings settings)
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 3).ConfigureAwait(false);
        cluster.CreateTopic(settings.Topic, settings.Partitions);
        cluster.CreateTopic(ProducerRuns.Topic, settings.Partitions); // written by the producer modes
        Console.Error.WriteLine($"[broker] librdkafka {cluster.NativeVersion} ({cluster.NativeLibraryPath}), 3 brokers at {cluster.BootstrapServers}");

        var watch = Stopwatch.StartNew();
        var producerOptions = new TestProducerOptions
        {
            Compression = settings.Lz4 ? TestCompression.Lz4 : TestCompression.None,
            Linger = TimeSpan.FromMilliseconds(100),
            BatchNumMessages = settings.BatchRecords,
        };
        using (var producer = cluster.CreateProducer(producerOptions))
        {
            // Each partition's records are produced together (partition = a contiguous range of indexes), so every
            // producer batch fills up to BatchRecords records: the log layout (and the number of fetches it takes, since
            // the mock returns one stored batch per partition per fetch) is the same from one run to the next.
            // 1M records over 32 partitions is ~3.4 MiB per partition, under the mock's 5 MiB retention.
            long records = settings.Records, partitions = settings.Partitions;
            await producer.ProduceManyAsync(settings.Topic, settings.Records,
                i => new TestRecord(Data.Key(i), Data.Value(i)) { Partition = (int)(i * partitions / records) }).ConfigureAwait(false);
        }
        Console.Error.WriteLine($"[broker] loaded {settings.Records:N0} records ({(settings.Lz4 ? "lz4" : "uncompressed")}) over {settings.Partitions} partitions in batches of {settings.BatchRecords:N0} in {watch.Elapsed.TotalSeconds:0.0} s");

        if (settings.Engine)
        {
            // The engine runs' topic: keys k0..k63, two per partition (record i goes to partition i % 32).
            cluster.CreateTopic(EngineHandlers.Topic, EngineRuns.Partitions);
            using var producer = cluster.CreateProducer(producerOptions);
            await producer.ProduceManyAsync(EngineHandlers.Topic, EngineRuns.Records,
                i => new TestRecord(System.Text.Encoding.UTF8.GetBytes($"k{i % EngineHandlers.Keys}"), Data.Value(i)) { Partition = i % EngineRuns.Partitions }).ConfigureAwait(false);
            Console.Error.WriteLine($"[broker] loaded {EngineRuns.Records:N0} records into {EngineHandlers.Topic}");
        }

        Console.Out.WriteLine(ReadyPrefix + cluster.BootstrapServers);
        Console.Out.Flush();

        // Serve until the benchmark closes our stdin (or dies, which closes it too).
        await Console.OpenStandardInput().CopyToAsync(Stream.Null).ConfigureAwait(false);
        Console.Error.WriteLine("[broker] stdin closed; stopping");
        return 0;
    }
}
