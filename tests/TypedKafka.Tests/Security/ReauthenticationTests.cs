using TypedKafka.Connections;
using TypedKafka.Protocol;
using TypedKafka.Testing;
using TypedKafka.Tests.ByteLevel;
using static TypedKafka.Tests.ByteLevel.ByteLevelKit;
using static TypedKafka.Tests.ByteLevel.FakeRecords;
using static TypedKafka.Tests.Security.SecurityTestHelpers;

namespace TypedKafka.Tests.Security;

/// <summary>
/// KIP-368 session lifetimes: the proxy states a short SASL session lifetime and, like a broker with
/// <c>connections.max.reauth.ms</c>, closes any connection that sends a request after it ("expired session used").
/// The client must replace each connection before its session ends, without failing a request.
/// </summary>
public sealed class ReauthenticationTests(SecurityFixture fixture) : IClassFixture<SecurityFixture>
{
    private const string Password = "s3cret-Pa55word!";
    private static readonly TimeSpan Lifetime = TimeSpan.FromMilliseconds(600);

    private static ProxySasl Sasl() => new()
    {
        EnabledMechanisms = ["PLAIN"],
        Users = new Dictionary<string, string> { ["alice"] = Password },
        SessionLifetime = Lifetime,
    };

    private static void UseSasl(ConsumerOptions options, SecureProxy proxy)
    {
        options.BootstrapServers = $"127.0.0.1:{proxy.Port}";
        options.SecurityProtocol = SecurityProtocol.SaslPlaintext;
        options.SaslMechanism = SaslMechanism.Plain;
        options.SaslUsername = "alice";
        options.SaslPassword = Password;
    }

    private static int Authentications(SecureProxy proxy) => proxy.Events.Count(e => e == "authenticated");

    private static void AssertNoExpiredSessionUsed(SecureProxy proxy) =>
        Assert.DoesNotContain(proxy.Events, e => e.StartsWith("expired session used", StringComparison.Ordinal));

    [Fact]
    public async Task The_pool_replaces_a_connection_before_its_session_ends_and_closes_the_old_one()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, sasl: Sasl());
        var options = new ConsumerOptions { RequestTimeout = TimeSpan.FromSeconds(5), ConnectionSetupTimeout = TimeSpan.FromSeconds(5) };
        UseSasl(options, proxy);
        await using var pool = new ConnectionPool(options);
        var used = new List<BrokerConnection>();

        // An application's steady traffic: every request takes a connection from the pool, as the consumer does.
        await Eventually.TrueAsync(async () =>
        {
            var connection = await pool.GetAsync(proxy.Endpoint(), cts.Token);
            if (!used.Contains(connection)) used.Add(connection);
            await AssertServesMetadataAsync(connection, cts.Token);
            return Authentications(proxy) >= 4;
        }, TestTimeout, "three renewals");

        AssertNoExpiredSessionUsed(proxy);
        Assert.True(used.Count >= 3, $"{used.Count} connections were used");
        await Eventually.TrueAsync(() => used.SkipLast(1).All(c => !c.IsAlive), TestTimeout, "the replaced connections are closed");
        Assert.Equal(1, pool.OpenCount);
    }

    [Fact]
    public async Task A_group_member_keeps_fetching_and_heartbeating_across_session_ends_without_an_expired_session_being_used()
    {
        await using var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic);
        broker.Cluster.Log(Topic).Append(Batch(0, 3));
        var group = new ScriptedGroup(broker, joinMax: 7);
        await using var proxy = new SecureProxy(broker.BootstrapServers, sasl: Sasl());
        broker.AdvertisedPort = proxy.Port; // Metadata and FindCoordinator lead through the proxy
        var consumer = new KafkaConsumer<string?, string?>(Options(broker, o =>
        {
            UseSasl(o, proxy);
            o.GroupId = "g";
            o.SessionTimeout = TimeSpan.FromSeconds(6);
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
        }));
        try
        {
            consumer.Subscribe([Topic]);
            AssertOffsets(await ConsumeAsync(consumer, 3), Range(0, 3));

            // Two connections (the broker's pool connection for Fetch and Metadata, and the coordinator's own for
            // Heartbeat) each renew several times while the member polls: every poll would fail if a request had been
            // sent on an expired session, because the proxy closes such a connection.
            var heartbeatsBefore = broker.RequestsOf(ApiKey.Heartbeat).Count;
            await Eventually.TrueAsync(async () =>
            {
                Assert.Empty(await consumer.PollAsync(TimeSpan.FromMilliseconds(20)));
                return Authentications(proxy) >= 8;
            }, Patience, "three renewals of each connection");
            Assert.True(broker.RequestsOf(ApiKey.Heartbeat).Count > heartbeatsBefore + 5, "heartbeats went on");

            broker.Cluster.Log(Topic).Append(Batch(3, 3));
            AssertOffsets(await ConsumeAsync(consumer, 3), Range(3, 6));
            AssertNoExpiredSessionUsed(proxy);
            Assert.Equal(2, group.JoinCount); // the KIP-394 round trip at the start, and no rejoin since
        }
        finally
        {
            await consumer.CloseAsync();
        }
    }

    [Fact]
    public async Task The_largest_lifetime_the_wire_allows_is_accepted_and_never_renews()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, sasl: new ProxySasl
        {
            EnabledMechanisms = ["PLAIN"],
            Users = new Dictionary<string, string> { ["alice"] = Password },
            SessionLifetime = TimeSpan.MaxValue,
        });
        var options = new ConsumerOptions { RequestTimeout = TimeSpan.FromSeconds(5), ConnectionSetupTimeout = TimeSpan.FromSeconds(5) };
        UseSasl(options, proxy);
        options.Validate();
        await using var connection = await BrokerConnection.ConnectAsync(proxy.Endpoint(), ConnectionSettings.From(options), cts.Token);
        await AssertServesMetadataAsync(connection, cts.Token);
        Assert.False(connection.RenewalDue);
        Assert.False(connection.SessionEnded);
    }
}
