using Microsoft.Extensions.Logging;
using TypedKafka.Protocol;
using static TypedKafka.Tests.ByteLevel.ByteLevelKit;
using static TypedKafka.Tests.ByteLevel.FakeRecords;

namespace TypedKafka.Tests.ByteLevel;

/// <summary>Corrupt bytes from the broker: a bad CRC, a garbage response body, an invalid batch header, and a batch
/// length claiming 2 GB.</summary>
/// <remarks>The 2 GB tests bound what the whole process allocates (the consumer works on several threads), so this class
/// runs alone: other tests running beside it once pushed the count past the bound.</remarks>
[Collection(ProcessWideMeasurements.Name)]
public sealed class CorruptInputTests
{
    [Fact]
    public async Task A_bad_crc_fails_the_poll_naming_partition_and_offset_and_a_seek_past_it_continues()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic);
        broker.Cluster.Log(Topic).Append(Concat(Batch(0, 5), WithBadCrc(Batch(5, 5)), Batch(10, 5)));
        await using var consumer = NewConsumer(broker);

        var (before, error) = await ConsumeUntilErrorAsync(consumer);

        AssertOffsets(before, Range(0, 5));
        var corrupt = Assert.IsType<KafkaProtocolException>(error);
        Assert.Contains(P0.ToString(), corrupt.Message, StringComparison.Ordinal);
        Assert.Contains("offset 5", corrupt.Message, StringComparison.Ordinal);
        Assert.Contains("CRC", corrupt.Message, StringComparison.Ordinal);
        Assert.Equal((short)ApiKey.Fetch, corrupt.ApiKey);
        // The error repeats (the position stays before the corrupt batch) until the application seeks past it.
        await Assert.ThrowsAsync<KafkaProtocolException>(async () => await ConsumeAsync(consumer, 1));
        Assert.Equal(5, await consumer.PositionAsync(P0));

        consumer.Seek(P0, 10);
        var after = await ConsumeAsync(consumer, 5);
        AssertOffsets(after, Range(10, 15));
        Assert.Empty(await PollQuietlyAsync(consumer, TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task With_CheckCrcs_off_a_batch_with_a_bad_crc_but_intact_data_is_delivered()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic);
        broker.Cluster.Log(Topic).Append(Concat(Batch(0, 2), WithBadCrc(Batch(2, 2))));
        await using var consumer = NewConsumer(broker, o => o.CheckCrcs = false);

        AssertOffsets(await ConsumeAsync(consumer, 4), Range(0, 4));
    }

    [Fact]
    public async Task A_garbage_fetch_response_body_is_logged_and_the_consumer_fetches_again_by_itself()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic);
        broker.Cluster.Log(Topic).Append(Batch(0, 5));
        var garbage = 0;
        broker.FetchHandler = call => Interlocked.Increment(ref garbage) == 1
            ? Reply.Raw([0x00, 0x00, 0x00, 0x00, 0x7F, 0xFF, 0xFF, 0xFF, 0x13, 0x37, 0xAB])
            : call.FromLog();
        var logs = new CapturingLoggerFactory();
        await using var consumer = NewConsumer(broker, o => o.LoggerFactory = logs);

        var received = new List<ConsumerRecord<string?, string?>>();
        var surfaced = new List<Exception>();
        using var deadline = new CancellationTokenSource(Patience);
        while (received.Count < 5 && !deadline.IsCancellationRequested)
        {
            try
            {
                received.AddRange(await consumer.PollAsync(TimeSpan.FromMilliseconds(100)));
            }
            catch (KafkaException e)
            {
                surfaced.Add(e); // allowed: the error may be reported once, but the consumer must not need a Seek
            }
        }

        AssertOffsets(received, Range(0, 5));
        Assert.True(broker.RequestsOf(ApiKey.Fetch).Count >= 2, "the fetch was sent again");
        Assert.True(logs.Contains(LogLevel.Warning, "Fetch"), "the malformed response was logged");
        Assert.True(surfaced.Count <= 1, $"the error was surfaced {surfaced.Count} times: {string.Join(" | ", surfaced.Select(e => e.Message))}");
    }

    [Fact]
    public async Task A_garbage_fetch_response_body_does_not_crash_or_hang_the_consumer()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic);
        broker.Cluster.Log(Topic).Append(Batch(0, 5));
        var garbage = 0;
        broker.FetchHandler = call => Interlocked.Increment(ref garbage) == 1
            ? Reply.Raw([0x00, 0x00, 0x00, 0x00, 0x7F, 0xFF, 0xFF, 0xFF, 0x13, 0x37, 0xAB])
            : call.FromLog();
        var logs = new CapturingLoggerFactory();
        await using var consumer = NewConsumer(broker, o => o.LoggerFactory = logs);

        // The error may be surfaced by PollAsync (today it is, until the application seeks); an application that seeks
        // to its next offset, as documented, then gets every record once.
        var received = new List<ConsumerRecord<string?, string?>>();
        var surfaced = new List<KafkaException>();
        using var deadline = new CancellationTokenSource(Patience);
        while (received.Count < 5 && !deadline.IsCancellationRequested)
        {
            try
            {
                received.AddRange(await consumer.PollAsync(TimeSpan.FromMilliseconds(100)));
            }
            catch (KafkaException e) when (surfaced.Count < 3)
            {
                surfaced.Add(e);
                consumer.Seek(P0, received.Count == 0 ? 0 : received[^1].Offset + 1);
            }
        }

        AssertOffsets(received, Range(0, 5));
        Assert.All(surfaced, e => Assert.True(e is KafkaProtocolException || e.InnerException is KafkaProtocolException, $"{e.GetType().Name}: {e.Message}"));
        Assert.True(logs.Contains(LogLevel.Warning, "Fetch from"), "the malformed response was logged");
        Assert.True(consumer.BootstrapConnected(), "the connection survived: the frame itself was well formed");
        Assert.True(broker.RequestsOf(ApiKey.Fetch).Count >= 2);
    }

    [Fact]
    public async Task An_invalid_batch_length_is_reported_as_a_protocol_error_naming_the_partition()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic);
        var bad = Batch(0, 3);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bad.AsSpan(8), 5); // below the 14-byte minimum
        broker.FetchHandler = call => FakeFetch.Response(Topic, FakeFetch.Partition(0, bad, 3));
        await using var consumer = NewConsumer(broker);

        var (_, error) = await ConsumeUntilErrorAsync(consumer);

        var corrupt = Assert.IsType<KafkaProtocolException>(error);
        Assert.Contains(P0.ToString(), corrupt.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("MaxPartitionFetchBytes", corrupt.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_length_claiming_2_GB_is_a_truncated_tail_and_allocates_nothing_for_it()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic);
        broker.FetchHandler = call => call.Single.FetchOffset switch
        {
            0 => FakeFetch.Response(Topic, FakeFetch.Partition(0, Concat(Batch(0, 5), HugeHeader(5)), 10)),
            5 => FakeFetch.Response(Topic, FakeFetch.Partition(0, Batch(5, 5), 10)),
            _ => FakeFetch.Empty(call),
        };
        await using var consumer = NewConsumer(broker);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var records = await ConsumeAsync(consumer, 10);
        records.AddRange(await PollQuietlyAsync(consumer, TimeSpan.FromMilliseconds(100)));

        AssertOffsets(records, Range(0, 10));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Assert.True(allocated < 256L * 1024 * 1024, $"{allocated:N0} bytes were allocated");
        Assert.Contains(broker.Fetches, f => f.Topics[0].Partitions[0].FetchOffset == 5);
    }

    [Fact]
    public async Task A_lone_batch_claiming_2_GB_fails_the_partition_without_allocating()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic);
        broker.FetchHandler = call => FakeFetch.Response(Topic, FakeFetch.Partition(0, HugeHeader(0), 10));
        await using var consumer = NewConsumer(broker);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var (before, error) = await ConsumeUntilErrorAsync(consumer);

        Assert.Empty(before);
        Assert.IsAssignableFrom<KafkaException>(error);
        Assert.Contains(P0.ToString(), error.Message, StringComparison.Ordinal);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Assert.True(allocated < 256L * 1024 * 1024, $"{allocated:N0} bytes were allocated");
    }
}

/// <summary>Tests that measure the whole process (allocations over all threads) and so must not run beside others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideMeasurements
{
    public const string Name = "process-wide measurements";
}
