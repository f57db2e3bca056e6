using TypedKafka.Testing;
using Xunit.Abstractions;

namespace TypedKafka.Tests.Producing;

public class ProducerAllocationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ProduceAsync_of_byte_arrays_allocates_nothing_on_the_callers_thread_once_warm()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("alloc", 4);
        await using var producer = new KafkaProducer<byte[], byte[]>(new ProducerOptions { BootstrapServers = cluster.BootstrapServers });
        var keys = Enumerable.Range(0, 100).Select(i => BitConverter.GetBytes(i)).ToArray();
        var value = new byte[100];
        var pending = new ValueTask<DeliveryResult>[20_000];

        async Task<long> RoundAsync()
        {
            // Measured on this thread only: serialization, partitioning, batching and completion renting.
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < pending.Length; i++) pending[i] = producer.ProduceAsync("alloc", keys[i % keys.Length], value);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            foreach (var p in pending) await p;
            return allocated;
        }

        for (var warm = 0; warm < 5; warm++) await RoundAsync();
        var bytes = await RoundAsync();
        output.WriteLine($"{bytes} bytes for {pending.Length} records");
        // A new batch object per ~150 records is allowed (it is per batch, not per record): well under 8 B per record.
        Assert.True(bytes < pending.Length * 8, $"{bytes} bytes allocated for {pending.Length} records");
    }
}
