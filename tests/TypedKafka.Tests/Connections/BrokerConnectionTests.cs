using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TypedKafka.Connections;
using TypedKafka.Protocol;
using TypedKafka.Testing;
using TypedKafka.Tests.RealTraffic;

namespace TypedKafka.Tests.Connections;

public sealed class BrokerConnectionTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    private static ConnectionSettings Settings(Action<ConsumerOptions>? configure = null)
    {
        var options = new ConsumerOptions { RequestTimeout = TimeSpan.FromSeconds(10) };
        configure?.Invoke(options);
        return ConnectionSettings.From(options);
    }

    private static Task<BrokerConnection> ConnectAsync(KafkaTestCluster cluster, ConnectionSettings settings, CancellationToken ct, int broker = 1) =>
        BrokerConnection.ConnectAsync(PartitionReader.Endpoint(cluster.Brokers[broker], broker), settings, ct);

    private static Task<MetadataResponse> MetadataAsync(BrokerConnection connection, CancellationToken ct, TimeSpan? timeout = null) =>
        connection.RequestAsync<MetadataResponse>(new MetadataRequest(), connection.Versions.Pick(ApiKey.Metadata), ct, timeout);

    [Fact]
    public async Task Negotiation_falls_back_to_the_mocks_ApiVersions_range()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.StartRequestTracking();
        await using var connection = await ConnectAsync(cluster, Settings(), cts.Token);

        Assert.Equal(2, connection.Versions.Pick(ApiKey.ApiVersions));
        Assert.Contains("ApiVersions", connection.Versions.Source, StringComparison.Ordinal);
        var fetch = connection.Versions.Pick(ApiKey.Fetch);
        Assert.InRange(fetch, (short)0, (short)16);
        Assert.Equal(16, fetch); // min(ours 17, the mock's 16)
        Assert.Equal(12, connection.Versions.Pick(ApiKey.Metadata)); // min(ours 12, the mock's 13)
        // Our highest version was refused, then a version the mock accepts was asked.
        Assert.True(cluster.TrackedRequests.Count(r => r.ApiKey == ApiKey.ApiVersions) >= 2);

        var metadata = await MetadataAsync(connection, cts.Token);
        Assert.Single(metadata.Brokers);
    }

    [Fact]
    public async Task A_narrowed_broker_range_is_respected_by_a_new_connection()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.SetApiVersion(ApiKey.Fetch, 4, 7);
        await using var connection = await ConnectAsync(cluster, Settings(), cts.Token);
        Assert.Equal(7, connection.Versions.Pick(ApiKey.Fetch));
        Assert.Equal(5, connection.Versions.Pick(ApiKey.Fetch, max: 5));
    }

    [Fact]
    public async Task A_pinned_broker_version_uses_the_release_table_without_asking()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.StartRequestTracking();
        await using var connection = await ConnectAsync(cluster, Settings(o => o.ApiVersion = new Version(0, 11)), cts.Token);

        Assert.Contains("pinned", connection.Versions.Source, StringComparison.Ordinal);
        Assert.Equal(5, connection.Versions.Pick(ApiKey.Fetch));    // Kafka 0.11: Fetch v5
        Assert.Equal(4, connection.Versions.Pick(ApiKey.Metadata)); // Kafka 0.11: Metadata v4
        Assert.Equal(BrokerReleases.RangesFor(new KafkaRelease(0, 11))[ApiKey.Fetch].Max, connection.Versions.Pick(ApiKey.Fetch));

        await MetadataAsync(connection, cts.Token); // works at the pinned version
        var tracked = cluster.TrackedRequests;
        Assert.Contains(tracked, r => r.ApiKey == ApiKey.Metadata);
        Assert.DoesNotContain(tracked, r => r.ApiKey == ApiKey.ApiVersions);
    }

    [Fact]
    public async Task Requests_are_pipelined_up_to_the_in_flight_limit()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        await using var connection = await ConnectAsync(cluster, Settings(o => o.MaxInFlightRequestsPerConnection = 5), cts.Token);
        var rtt = TimeSpan.FromMilliseconds(50);
        cluster.SetBrokerRtt(1, rtt);

        var maxInFlight = 0;
        var clock = Stopwatch.StartNew();
        var requests = Enumerable.Range(0, 20).Select(_ => Task.Run(() => MetadataAsync(connection, cts.Token))).ToArray();
        var all = Task.WhenAll(requests);
        while (!all.IsCompleted)
        {
            maxInFlight = Math.Max(maxInFlight, connection.InFlightCount);
            await Task.WhenAny(all, Task.Delay(5, cts.Token));
        }
        var responses = await all;
        clock.Stop();

        Assert.All(responses, r => Assert.Single(r.Brokers));
        Assert.InRange(maxInFlight, 1, 5);
        // 20 requests, 5 at a time, each answered after the RTT: at least 4 rounds (3 RTTs is a safe lower bound).
        Assert.True(clock.Elapsed >= rtt * 3, $"20 requests took {clock.Elapsed.TotalMilliseconds:0} ms.");
        Assert.Equal(0, connection.InFlightCount);
        Assert.True(connection.IsAlive);
    }

    [Fact]
    public async Task A_dropped_connection_fails_the_pending_request_and_the_connection()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        await using var connection = await ConnectAsync(cluster, Settings(), cts.Token);
        cluster.PushRequestErrors(ApiKey.Metadata, KafkaTestCluster.ConnectionDrop);

        var error = await Assert.ThrowsAsync<KafkaConnectionException>(() => MetadataAsync(connection, cts.Token));
        Assert.Contains(connection.Endpoint.ToString(), error.Message, StringComparison.Ordinal);
        Assert.False(connection.IsAlive);
        Assert.Equal(0, connection.InFlightCount);
        await Assert.ThrowsAsync<KafkaConnectionException>(() => MetadataAsync(connection, cts.Token));
    }

    [Fact]
    public async Task A_timed_out_request_fails_alone_and_its_late_answer_is_discarded()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        await using var connection = await ConnectAsync(cluster, Settings(o => o.RequestTimeout = TimeSpan.FromMilliseconds(300)), cts.Token);
        var version = connection.Versions.Pick(ApiKey.Metadata);
        cluster.SetBrokerRtt(1, TimeSpan.FromSeconds(2));

        var error = await Assert.ThrowsAsync<KafkaTimeoutException>(() => MetadataAsync(connection, cts.Token));
        Assert.Contains("Metadata", error.Message, StringComparison.Ordinal);
        Assert.Contains($"v{version}", error.Message, StringComparison.Ordinal);
        Assert.Contains(connection.Endpoint.ToString(), error.Message, StringComparison.Ordinal);
        Assert.True(connection.IsAlive);
        Assert.Equal(1, connection.InFlightCount); // the abandoned request keeps its slot until its answer comes

        cluster.SetBrokerRtt(1, TimeSpan.Zero);
        // Answers come in order, so this one follows the late one; it must get its own answer, not the stale one.
        var response = await MetadataAsync(connection, cts.Token, timeout: TimeSpan.FromSeconds(10));
        Assert.Single(response.Brokers);
        Assert.True(connection.IsAlive);
        await Eventually.TrueAsync(() => connection.InFlightCount == 0, TimeSpan.FromSeconds(5), "no request in flight", cts.Token);
    }

    [Fact]
    public async Task Connecting_to_a_closed_port_names_the_endpoint()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
        }
        var endpoint = new BrokerEndpoint(7, "127.0.0.1", port);
        var error = await Assert.ThrowsAsync<KafkaConnectionException>(() => BrokerConnection.ConnectAsync(endpoint, Settings(), cts.Token));
        Assert.Contains(endpoint.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispose_fails_pending_requests_and_is_idempotent()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        var connection = await ConnectAsync(cluster, Settings(), cts.Token);
        cluster.SetBrokerRtt(1, TimeSpan.FromSeconds(5));
        var pending = MetadataAsync(connection, cts.Token);
        await Eventually.TrueAsync(() => connection.InFlightCount == 1, TimeSpan.FromSeconds(5), "the request to be in flight", cts.Token);

        await connection.DisposeAsync();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => pending);
        Assert.True(error is ObjectDisposedException or KafkaConnectionException, $"Unexpected {error.GetType().Name}: {error.Message}");
        Assert.False(connection.IsAlive);
        Assert.Equal(0, connection.InFlightCount);
        await connection.DisposeAsync(); // idempotent
        await Assert.ThrowsAnyAsync<Exception>(() => MetadataAsync(connection, cts.Token));
        cluster.SetBrokerRtt(1, TimeSpan.Zero);
    }

    [Fact]
    public async Task Pool_backoff_grows_exponentially_and_is_capped()
    {
        await using var pool = new ConnectionPool(new ConsumerOptions
        {
            BootstrapServers = "127.0.0.1:1",
            ReconnectBackoff = TimeSpan.FromMilliseconds(50),
            ReconnectBackoffMax = TimeSpan.FromMilliseconds(1000),
        });
        for (var round = 0; round < 20; round++)
        {
            Assert.InRange(pool.Backoff(1).TotalMilliseconds, 40, 60);
            Assert.InRange(pool.Backoff(2).TotalMilliseconds, 80, 120);
            Assert.InRange(pool.Backoff(3).TotalMilliseconds, 160, 240);
            Assert.InRange(pool.Backoff(5).TotalMilliseconds, 640, 960);
            Assert.InRange(pool.Backoff(6).TotalMilliseconds, 800, 1200);
            Assert.InRange(pool.Backoff(1000).TotalMilliseconds, 800, 1200);
            Assert.InRange(pool.Backoff(int.MaxValue).TotalMilliseconds, 800, 1200);
        }
    }

    [Fact]
    public async Task Pool_GetAnyAsync_skips_a_down_broker()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var cluster = await KafkaTestCluster.StartAsync(2);
        cluster.SetBrokerDown(1);
        var down = PartitionReader.Endpoint(cluster.Brokers[1], 1);
        var up = PartitionReader.Endpoint(cluster.Brokers[2], 2);

        // GetAnyAsync starts at a random candidate: repeat so that both orders are exercised.
        for (var i = 0; i < 6; i++)
        {
            await using var pool = new ConnectionPool(new ConsumerOptions { BootstrapServers = cluster.BootstrapServers, ConnectionSetupTimeout = TimeSpan.FromSeconds(5) });
            var connection = await pool.GetAnyAsync([down, up], cts.Token);
            Assert.Equal(up, connection.Endpoint);
            Assert.True(connection.IsAlive);
            // Once one is open it is preferred; the down broker is not retried.
            Assert.Same(connection, await pool.GetAnyAsync([down, up], cts.Token));
        }
    }
}
