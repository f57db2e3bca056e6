using TypedKafka.Protocol;
using TypedKafka.Testing;

namespace TypedKafka.Tests.Producing;

/// <summary>Each kind of bad input fails its own record with a specific exception naming the value; nothing is dropped silently.</summary>
public class ProducerBadInputTests
{
    private static ProducerOptions Options(KafkaTestCluster cluster) => new()
    {
        BootstrapServers = cluster.BootstrapServers,
        RetryBackoff = TimeSpan.FromMilliseconds(10),
    };

    [Fact]
    public async Task A_record_larger_than_MaxRequestSize_fails_with_RecordTooLargeException_naming_its_size()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("large", 1);
        await using var producer = new KafkaProducer<Null, byte[]>(Options(cluster));
        var error = await Assert.ThrowsAsync<RecordTooLargeException>(() => producer.ProduceAsync("large", default, new byte[2_000_000]).AsTask());
        Assert.Equal("large", error.Topic);
        Assert.True(error.SizeInBytes > 2_000_000);
        Assert.Contains("MaxRequestSize (1048576)", error.Message);
        // The producer goes on.
        var ok = await producer.ProduceAsync("large", default, new byte[10]);
        Assert.Equal(0, ok.Partition);
    }

    [Fact]
    public async Task A_batch_the_broker_refuses_as_MESSAGE_TOO_LARGE_fails_with_RecordTooLargeException_and_later_records_are_written()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("refused", 1);
        await using var producer = new KafkaProducer<Null, byte[]>(Options(cluster));
        await producer.ProduceAsync("refused", default, [1]);
        cluster.PushRequestErrors(ApiKey.Produce, ErrorCode.MessageTooLarge);
        var error = await Assert.ThrowsAsync<RecordTooLargeException>(() => producer.ProduceAsync("refused", default, [2]).AsTask());
        Assert.Contains("MESSAGE_TOO_LARGE", error.Message);
        Assert.Equal(0, error.Partition);
        var after = await producer.ProduceAsync("refused", default, [3]);
        Assert.True(after.Offset >= 1);
        var read = ConfluentReader.ReadAll(cluster.BootstrapServers, "refused", 1, 2, TimeSpan.FromSeconds(30));
        Assert.Equal([[1], [3]], read.Select(r => r.Value!));
    }

    [Fact]
    public async Task A_partition_that_does_not_exist_fails_with_UnknownTopicOrPartitionException_naming_it()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("four", 4);
        await using var producer = new KafkaProducer<Null, byte[]>(Options(cluster));
        await producer.ProduceAsync("four", default, [1], partition: 3);
        var error = await Assert.ThrowsAsync<UnknownTopicOrPartitionException>(() => producer.ProduceAsync("four", default, [1], partition: 4).AsTask());
        Assert.Equal(4, error.Partition);
        Assert.Contains("Partition 4 of topic 'four' does not exist", error.Message);
        Assert.Contains("4 partitions", error.Message);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => producer.ProduceAsync("four", default, [1], partition: -1).AsTask());
    }

    [Fact]
    public async Task An_unknown_topic_fails_with_UnknownTopicOrPartitionException_after_MaxBlock()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        var options = Options(cluster);
        options.AllowAutoCreateTopics = false;
        options.MaxBlock = TimeSpan.FromMilliseconds(500);
        await using var producer = new KafkaProducer<Null, byte[]>(options);
        var error = await Assert.ThrowsAsync<UnknownTopicOrPartitionException>(() => producer.ProduceAsync("no-such-topic", default, [1]).AsTask());
        Assert.Equal("no-such-topic", error.Topic);
        Assert.Null(error.Partition);
        Assert.Contains("MaxBlock", error.Message);
    }

    [Fact]
    public async Task Cancelling_a_record_that_waits_for_metadata_fails_it_with_OperationCanceledException()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        var options = Options(cluster);
        options.AllowAutoCreateTopics = false;
        await using var producer = new KafkaProducer<Null, byte[]>(options);
        using var cancel = new CancellationTokenSource();
        var pending = producer.ProduceAsync("not-yet", default, [1], cancellationToken: cancel.Token).AsTask();
        Assert.False(pending.IsCompleted);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => producer.ProduceAsync("not-yet", default, [1], cancellationToken: cancel.Token).AsTask());
    }

    [Fact]
    public async Task An_illegal_topic_name_fails_with_ArgumentException_naming_it()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        await using var producer = new KafkaProducer<Null, byte[]>(Options(cluster));
        var error = await Assert.ThrowsAsync<ArgumentException>(() => producer.ProduceAsync("bad topic!", default, [1]).AsTask());
        Assert.Contains("'bad topic!'", error.Message);
    }

    [Fact]
    public async Task A_topic_the_producer_may_not_write_fails_with_KafkaAuthorizationException()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("secret", 1);
        await using var producer = new KafkaProducer<Null, byte[]>(Options(cluster));
        await producer.ProduceAsync("secret", default, [1]);
        cluster.PushRequestErrors(ApiKey.Produce, ErrorCode.TopicAuthorizationFailed);
        var error = await Assert.ThrowsAsync<KafkaAuthorizationException>(() => producer.ProduceAsync("secret", default, [2]).AsTask());
        Assert.Contains("secret-0", error.Message);
        Assert.Contains("TOPIC_AUTHORIZATION_FAILED", error.Message);
    }

    [Fact]
    public async Task A_producer_denied_idempotence_fails_its_records_with_KafkaAuthorizationException()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("denied", 1);
        cluster.PushRequestErrors(ApiKey.InitProducerId, ErrorCode.ClusterAuthorizationFailed);
        await using var producer = new KafkaProducer<Null, byte[]>(Options(cluster));
        var error = await Assert.ThrowsAsync<KafkaAuthorizationException>(() => producer.ProduceAsync("denied", default, [1]).AsTask());
        Assert.Contains("IDEMPOTENT_WRITE", error.Message);
    }

    [Fact]
    public async Task A_closed_producer_refuses_records_with_ObjectDisposedException_naming_it()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("closed", 1);
        var options = Options(cluster);
        options.ClientId = "closing-producer";
        var producer = new KafkaProducer<Null, byte[]>(options);
        var pending = producer.ProduceAsync("closed", default, [1]);
        await producer.DisposeAsync();
        // Disposal flushed the record accepted before it.
        Assert.Equal(0, (await pending).Offset);
        var error = await Assert.ThrowsAsync<ObjectDisposedException>(() => producer.ProduceAsync("closed", default, [2]).AsTask());
        Assert.Contains("closing-producer", error.Message);
    }

    [Fact]
    public async Task FlushAsync_sends_lingering_records_at_once_and_completes_when_they_are_acknowledged()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("flush", 2);
        var options = Options(cluster);
        options.Linger = TimeSpan.FromMinutes(5);
        options.DeliveryTimeout = TimeSpan.FromMinutes(10);
        await using var producer = new KafkaProducer<string, string>(options);
        var pending = Enumerable.Range(0, 100).Select(i => producer.ProduceAsync("flush", $"k{i}", $"v{i}").AsTask()).ToList();
        await producer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(pending, p => Assert.True(p.IsCompletedSuccessfully));
    }

    [Fact]
    public async Task Records_still_unacknowledged_when_CloseTimeout_ends_fail_with_KafkaTimeoutException()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("stuck", 1);
        var options = Options(cluster);
        options.CloseTimeout = TimeSpan.FromMilliseconds(300);
        var producer = new KafkaProducer<Null, byte[]>(options);
        await producer.ProduceAsync("stuck", default, [0]);
        // The broker drops its connections and refuses new ones: nothing can be sent. (A leaderless partition,
        // SetPartitionLeader(-1), crashed the mock's process here.)
        cluster.SetBrokerDown(cluster.Brokers.Keys.Single());
        var pending = producer.ProduceAsync("stuck", default, [1]).AsTask();
        await producer.DisposeAsync();
        var error = await Assert.ThrowsAsync<KafkaTimeoutException>(() => pending);
        Assert.Contains("CloseTimeout", error.Message);
    }
}
