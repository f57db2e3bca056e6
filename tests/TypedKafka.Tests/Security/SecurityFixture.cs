using TypedKafka.Connections;
using TypedKafka.Protocol;
using TypedKafka.Testing;

namespace TypedKafka.Tests.Security;

/// <summary>One mock broker and one set of test certificates, shared by the tests of a class.</summary>
public sealed class SecurityFixture : IAsyncLifetime
{
    private KafkaTestCluster? _cluster;

    public KafkaTestCluster Cluster => _cluster ?? throw new InvalidOperationException("Not started.");

    public TestPki Pki { get; } = new();

    /// <summary>The mock broker's plaintext address (host:port).</summary>
    public string Upstream => Cluster.Brokers[1];

    public async Task InitializeAsync() => _cluster = await KafkaTestCluster.StartAsync(1);

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        Pki.Dispose();
    }
}

internal static class SecurityTestHelpers
{
    /// <summary>Every test's overall limit: a hang fails the test instead of the run.</summary>
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(15);

    public static ConnectionSettings Settings(Action<ConsumerOptions> configure)
    {
        var options = new ConsumerOptions
        {
            RequestTimeout = TimeSpan.FromSeconds(10),
            ConnectionSetupTimeout = TimeSpan.FromSeconds(5),
        };
        configure(options);
        options.Validate();
        return ConnectionSettings.From(options);
    }

    /// <summary>Proves the connection carries Kafka requests after TLS/SASL: Metadata through to the mock broker.</summary>
    public static async Task AssertServesMetadataAsync(BrokerConnection connection, CancellationToken ct)
    {
        Assert.True(connection.IsAlive);
        var response = await connection.RequestAsync<MetadataResponse>(new MetadataRequest(), connection.Versions.Pick(ApiKey.Metadata), ct);
        Assert.Single(response.Brokers);
        Assert.Equal(1, response.Brokers[0].NodeId);
    }
}
