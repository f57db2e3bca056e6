using System.Diagnostics;
using System.Net.Sockets;
using Confluent.Kafka;
using TypedKafka.Protocol;
using TypedKafka.Testing.Native;
using KafkaErrorCode = TypedKafka.Protocol.ErrorCode;

namespace TypedKafka.Testing.Tests;

public sealed class KafkaTestClusterTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Starts_with_the_requested_brokers_and_closes_every_port_on_dispose()
    {
        string[] endpoints;
        await using (var cluster = await KafkaTestCluster.StartAsync(brokers: 3))
        {
            endpoints = cluster.BootstrapServers.Split(',');
            Assert.Equal(3, endpoints.Length);
            Assert.Equal([1, 2, 3], cluster.Brokers.Keys.Order());
            Assert.EndsWith(".so", cluster.NativeLibraryPath, StringComparison.Ordinal);
            Assert.StartsWith("2.", cluster.NativeVersion, StringComparison.Ordinal);
            foreach (var endpoint in endpoints)
            {
                using var connection = await RawKafkaConnection.ConnectAsync(endpoint);
                Assert.True((await connection.ApiVersionsAsync()).ContainsKey((short)ApiKey.Fetch));
            }
        }
        foreach (var endpoint in endpoints)
            await Assert.ThrowsAsync<SocketException>(async () => (await RawKafkaConnection.ConnectAsync(endpoint)).Dispose());
    }

    [Fact]
    public async Task Several_clusters_run_side_by_side_with_their_own_data()
    {
        await using var first = await KafkaTestCluster.StartAsync(brokers: 1);
        await using var second = await KafkaTestCluster.StartAsync(brokers: 2);
        Assert.NotEqual(first.BootstrapServers, second.BootstrapServers);
        first.CreateTopic("only-in-first", 1);
        await first.ProduceAsync("only-in-first", TestRecord.Utf8("k", "v"));

        using var admin = Admin(second);
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(metadata.Topics, t => t.Topic == "only-in-first");
        Assert.Equal(2, metadata.Brokers.Count);
        using var firstAdmin = Admin(first);
        Assert.Contains(firstAdmin.GetMetadata(TimeSpan.FromSeconds(10)).Topics, t => t.Topic == "only-in-first");
    }

    [Fact]
    public async Task A_broker_that_is_down_refuses_connections_and_drops_open_ones_until_it_is_up()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 2);
        using var open = await RawKafkaConnection.ConnectAsync(cluster.Brokers[2]);
        await open.ApiVersionsAsync();

        cluster.SetBrokerDown(2);
        using var cts = new CancellationTokenSource(Timeout);
        Assert.True(await open.IsClosedByPeerAsync(cts.Token));
        await Assert.ThrowsAsync<SocketException>(async () => (await RawKafkaConnection.ConnectAsync(cluster.Brokers[2])).Dispose());
        using (var other = await RawKafkaConnection.ConnectAsync(cluster.Brokers[1])) await other.ApiVersionsAsync();

        cluster.SetBrokerUp(2);
        using var again = await RawKafkaConnection.ConnectAsync(cluster.Brokers[2]);
        await again.ApiVersionsAsync();
    }

    [Fact]
    public async Task Broker_rtt_delays_every_response()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 1);
        using var connection = await RawKafkaConnection.ConnectAsync(cluster.Brokers[1]);
        cluster.SetBrokerRtt(1, TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        await connection.ApiVersionsAsync();
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"answered after {clock.Elapsed}");

        cluster.SetBrokerRtt(1, TimeSpan.Zero);
        await connection.ApiVersionsAsync();
    }

    [Fact]
    public async Task Pushed_errors_answer_the_next_requests_in_order_then_service_resumes()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 1);
        using var connection = await RawKafkaConnection.ConnectAsync(cluster.Brokers[1]);
        cluster.PushRequestErrors(ApiKey.FindCoordinator, KafkaErrorCode.CoordinatorNotAvailable, KafkaErrorCode.NotCoordinator);

        Assert.Equal((short)KafkaErrorCode.CoordinatorNotAvailable, (await connection.FindCoordinatorAsync("g")).Error);
        Assert.Equal((short)KafkaErrorCode.NotCoordinator, (await connection.FindCoordinatorAsync("g")).Error);
        Assert.Equal(0, (await connection.FindCoordinatorAsync("g")).Error);
    }

    [Fact]
    public async Task A_pushed_connection_drop_closes_the_connection_instead_of_answering()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 1);
        using var connection = await RawKafkaConnection.ConnectAsync(cluster.Brokers[1]);
        cluster.PushRequestErrors(ApiKey.FindCoordinator, KafkaTestCluster.ConnectionDrop);
        using var cts = new CancellationTokenSource(Timeout);
        await Assert.ThrowsAnyAsync<Exception>(() => connection.FindCoordinatorAsync("g", cts.Token));
    }

    [Fact]
    public async Task Pushed_errors_are_seen_by_an_independent_producer()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 1);
        cluster.CreateTopic("denied", 1);
        cluster.PushRequestErrors(ApiKey.Produce, KafkaErrorCode.TopicAuthorizationFailed);
        using var producer = cluster.CreateProducer(new TestProducerOptions { Idempotent = false });
        var error = await Assert.ThrowsAsync<ProduceException<byte[]?, byte[]?>>(() => producer.ProduceAsync("denied", [TestRecord.Utf8("k", "v")]));
        Assert.Equal(Confluent.Kafka.ErrorCode.TopicAuthorizationFailed, error.Error.Code);
    }

    [Fact]
    public async Task Partition_leader_moves_as_seen_in_metadata()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 3);
        cluster.CreateTopic("moving", 2);
        cluster.SetPartitionLeader("moving", 1, 3);
        using var admin = Admin(cluster);
        Assert.Equal(3, Leader(admin, "moving", 1));
        cluster.SetPartitionLeader("moving", 1, 2);
        Assert.Equal(2, Leader(admin, "moving", 1));
    }

    [Fact]
    public async Task Coordinator_is_the_broker_it_was_set_to()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 3);
        using var connection = await RawKafkaConnection.ConnectAsync(cluster.Brokers[1]);
        cluster.SetCoordinator("billing", 3);
        Assert.Equal((0, 3), await connection.FindCoordinatorAsync("billing"));
        cluster.SetCoordinator("billing", 2);
        Assert.Equal((0, 2), await connection.FindCoordinatorAsync("billing"));
    }

    [Fact]
    public async Task Api_versions_can_be_narrowed_or_disabled()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 1);
        using var connection = await RawKafkaConnection.ConnectAsync(cluster.Brokers[1]);
        Assert.True((await connection.ApiVersionsAsync())[(short)ApiKey.Fetch].Max >= 12);

        cluster.SetApiVersion(ApiKey.Fetch, 4, 7);
        Assert.Equal(((short)4, (short)7), (await connection.ApiVersionsAsync())[(short)ApiKey.Fetch]);

        cluster.DisableApi(ApiKey.OffsetForLeaderEpoch);
        Assert.False((await connection.ApiVersionsAsync()).ContainsKey((short)ApiKey.OffsetForLeaderEpoch));
    }

    [Fact]
    public async Task Deleting_records_moves_the_log_start_offset()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 1);
        cluster.CreateTopic("trimmed", 1);
        await cluster.ProduceAsync("trimmed", Enumerable.Range(0, 10).Select(i => TestRecord.Utf8(null, $"v{i}", partition: 0)));
        using var consumer = Consumer(cluster, "watermarks");
        var tp = new Confluent.Kafka.TopicPartition("trimmed", 0);
        Assert.Equal(0, consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).Low.Value);

        cluster.DeleteRecords("trimmed", 0, 6);
        var after = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10));
        Assert.Equal(6, after.Low.Value);
        Assert.Equal(10, after.High.Value);
    }

    [Fact]
    public async Task Group_initial_rebalance_delay_holds_back_the_first_assignment()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 1);
        cluster.CreateTopic("delayed", 1);
        cluster.SetGroupInitialRebalanceDelay(TimeSpan.FromMilliseconds(1500));
        using var consumer = Consumer(cluster, "delayed-group");
        var clock = Stopwatch.StartNew();
        consumer.Subscribe("delayed");
        await Eventually.TrueAsync(() => { consumer.Consume(TimeSpan.FromMilliseconds(50)); return consumer.Assignment.Count == 1; }, Timeout, "the assignment");
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(1400), $"assigned after {clock.Elapsed}");
    }

    [Fact]
    public async Task Tracked_requests_name_the_api_and_the_broker()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 2);
        cluster.CreateTopic("tracked", 1);
        cluster.SetPartitionLeader("tracked", 0, 2);
        cluster.StartRequestTracking();
        await cluster.ProduceAsync("tracked", TestRecord.Utf8("k", "v", partition: 0));
        var requests = cluster.TrackedRequests;
        Assert.Contains(requests, r => r.ApiKey == ApiKey.Produce && r.BrokerId == 2);
        Assert.DoesNotContain(requests, r => r.ApiKey == ApiKey.Produce && r.BrokerId == 1);
        cluster.ClearTrackedRequests();
        Assert.DoesNotContain(cluster.TrackedRequests, r => r.ApiKey == ApiKey.Produce);
        cluster.StopRequestTracking();
        await cluster.ProduceAsync("tracked", TestRecord.Utf8("k", "v2", partition: 0));
        Assert.Empty(cluster.TrackedRequests);
    }

    [Fact]
    public async Task The_test_producer_writes_what_an_independent_consumer_reads_back()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 1);
        cluster.CreateTopic("roundtrip", 1);
        var headers = new List<KeyValuePair<string, byte[]?>> { new("h1", [1, 2]), new("h2", null) };
        var produced = await cluster.ProduceAsync("roundtrip",
            new TestRecord(null, [9]) { Partition = 0, Headers = headers },
            new TestRecord([1], null) { Partition = 0 });
        Assert.Equal([0L, 1L], produced.Select(p => p.Offset));
        Assert.Equal(cluster.NativeVersion, TestProducer.NativeVersion);

        using var consumer = Consumer(cluster, "reader");
        consumer.Assign(new TopicPartitionOffset("roundtrip", 0, 0));
        var first = consumer.Consume(Timeout)!;
        Assert.Null(first.Message.Key);
        Assert.Equal([9], first.Message.Value);
        Assert.Equal("h1", first.Message.Headers[0].Key);
        Assert.Null(first.Message.Headers[1].GetValueBytes());
        var second = consumer.Consume(Timeout)!;
        Assert.Null(second.Message.Value);
    }

    [Fact]
    public async Task Invalid_arguments_name_the_problem()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => cluster.SetBrokerDown(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => cluster.CreateTopic("t", 1, replicationFactor: 3));
        Assert.Throws<ArgumentException>(() => cluster.CreateTopic("", 1));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => KafkaTestCluster.StartAsync(brokers: 0));
        await cluster.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => cluster.CreateTopic("t", 1));
        await cluster.DisposeAsync(); // idempotent
    }

    [Fact]
    public void A_missing_native_library_is_a_clear_error_listing_what_was_tried()
    {
        var directory = Directory.CreateTempSubdirectory("tk-native");
        try
        {
            var notALibrary = Path.Combine(directory.FullName, "librdkafka.so");
            File.WriteAllText(notALibrary, "this is not a shared library");
            var missing = Path.Combine(directory.FullName, "absent.so");
            var error = Assert.Throws<DllNotFoundException>(() => LibrdkafkaLibrary.LoadFirst([missing, notALibrary]));
            Assert.Contains(missing + ": file not found", error.Message, StringComparison.Ordinal);
            Assert.Contains(notALibrary + ": ", error.Message, StringComparison.Ordinal);
            Assert.Contains(LibrdkafkaLibrary.PathVariable, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_loader_reports_which_file_it_chose_and_why_others_were_skipped()
    {
        var loaded = LibrdkafkaLibrary.LoadFirst(LibrdkafkaLibrary.DefaultCandidates());
        Assert.True(File.Exists(loaded.Path));
        if (OperatingSystem.IsLinux() && Path.GetFileName(loaded.Path) != "librdkafka.so")
            Assert.Contains(loaded.Rejected, r => r.Contains("librdkafka.so", StringComparison.Ordinal));
    }

    private static IAdminClient Admin(KafkaTestCluster cluster)
    {
        _ = TestProducer.NativeVersion; // binds Confluent.Kafka to the cluster's librdkafka
        return new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers })
            .SetLogHandler((_, _) => { }).Build();
    }

    private static IConsumer<byte[]?, byte[]?> Consumer(KafkaTestCluster cluster, string group)
    {
        _ = TestProducer.NativeVersion;
        return new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = group,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            SessionTimeoutMs = 6000,
        }).SetLogHandler((_, _) => { }).Build();
    }

    private static int Leader(IAdminClient admin, string topic, int partition) =>
        admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Single(p => p.PartitionId == partition).Leader;
}
