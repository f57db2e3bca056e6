using System.Diagnostics;
using TypedKafka.Connections;
using static TypedKafka.Tests.Security.SecurityTestHelpers;

namespace TypedKafka.Tests.Security;

public sealed class SaslTests(SecurityFixture fixture) : IClassFixture<SecurityFixture>
{
    private const string Password = "s3cret-Pa55word!";
    private const string Token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.";

    private static readonly Dictionary<string, string> Users = new()
    {
        ["alice"] = Password,
        ["svc,team=core"] = Password, // needs SCRAM's saslname escaping
    };

    private static ProxySasl Sasl(params string[] mechanisms) => new()
    {
        EnabledMechanisms = mechanisms.Length == 0 ? ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"] : mechanisms,
        Users = Users,
        ValidToken = Token,
    };

    private static ConnectionSettings SaslSettings(SaslMechanism mechanism, string user = "alice", string password = Password,
        SecurityProtocol protocol = SecurityProtocol.SaslPlaintext, Action<ConsumerOptions>? more = null) => Settings(o =>
    {
        o.SecurityProtocol = protocol;
        o.SaslMechanism = mechanism;
        o.SaslUsername = user;
        o.SaslPassword = password;
        o.SaslOAuthTokenProvider = _ => ValueTask.FromResult(Token);
        more?.Invoke(o);
    });

    [Fact]
    public async Task Plain_authenticates_and_the_connection_serves_requests()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, sasl: Sasl());
        await using var connection = await BrokerConnection.ConnectAsync(proxy.Endpoint(), SaslSettings(SaslMechanism.Plain), cts.Token);
        await AssertServesMetadataAsync(connection, cts.Token);
        Assert.Equal("alice", Assert.IsType<TestPlainServer>(Assert.Single(proxy.SaslServers)).AuthenticatedUser);
        Assert.Contains("handshake PLAIN v1: None", proxy.Events);
    }

    [Fact]
    public async Task Plain_with_a_wrong_password_fails_without_showing_it()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, sasl: Sasl());
        const string wrong = "WrongPassword-7781";
        var error = await Assert.ThrowsAsync<KafkaAuthenticationException>(() =>
            BrokerConnection.ConnectAsync(proxy.Endpoint(), SaslSettings(SaslMechanism.Plain, password: wrong), cts.Token));
        Assert.Contains(proxy.Endpoint().ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains("PLAIN", error.Message, StringComparison.Ordinal);
        Assert.Contains("SASL_AUTHENTICATION_FAILED", error.Message, StringComparison.Ordinal);
        Assert.Contains("Invalid username or password", error.Message, StringComparison.Ordinal); // the broker's own message
        Assert.DoesNotContain(wrong, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Password, error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SaslMechanism.ScramSha256, "alice")]
    [InlineData(SaslMechanism.ScramSha512, "alice")]
    [InlineData(SaslMechanism.ScramSha256, "svc,team=core")]
    [InlineData(SaslMechanism.ScramSha512, "svc,team=core")]
    public async Task Scram_authenticates_and_verifies_the_broker(SaslMechanism mechanism, string user)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, sasl: Sasl());
        await using var connection = await BrokerConnection.ConnectAsync(proxy.Endpoint(), SaslSettings(mechanism, user), cts.Token);
        await AssertServesMetadataAsync(connection, cts.Token);
        Assert.Equal(user, Assert.IsType<TestScramServer>(Assert.Single(proxy.SaslServers)).AuthenticatedUser);
    }

    [Fact]
    public async Task Scram_with_a_wrong_password_reports_the_brokers_message()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, sasl: Sasl());
        const string wrong = "another-Wrong-one-55";
        var error = await Assert.ThrowsAsync<KafkaAuthenticationException>(() =>
            BrokerConnection.ConnectAsync(proxy.Endpoint(), SaslSettings(SaslMechanism.ScramSha512, password: wrong), cts.Token));
        Assert.Contains("SCRAM-SHA-512", error.Message, StringComparison.Ordinal);
        Assert.Contains("invalid credentials", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scram_rejects_a_forged_server_signature()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, sasl: new ProxySasl { Users = Users, ForgeServerSignature = true });
        var error = await Assert.ThrowsAsync<KafkaAuthenticationException>(() =>
            BrokerConnection.ConnectAsync(proxy.Endpoint(), SaslSettings(SaslMechanism.ScramSha256), cts.Token));
        Assert.Contains("server signature is wrong", error.Message, StringComparison.Ordinal);
        Assert.Contains(proxy.Endpoint().ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains("SCRAM-SHA-256", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OAuthBearer_sends_the_providers_token()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, sasl: Sasl());
        var calls = 0;
        var settings = SaslSettings(SaslMechanism.OAuthBearer, more: o => o.SaslOAuthTokenProvider = ct =>
        {
            Interlocked.Increment(ref calls);
            Assert.False(ct.IsCancellationRequested);
            return ValueTask.FromResult(Token);
        });
        await using var connection = await BrokerConnection.ConnectAsync(proxy.Endpoint(), settings, cts.Token);
        await AssertServesMetadataAsync(connection, cts.Token);
        Assert.Equal(1, calls);
        Assert.Equal(Token, Assert.IsType<TestOAuthBearerServer>(Assert.Single(proxy.SaslServers)).ReceivedToken);
    }

    [Fact]
    public async Task OAuthBearer_with_a_rejected_token_reports_the_brokers_error_without_the_token()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, sasl: Sasl());
        const string expired = "expired.token.value";
        var error = await Assert.ThrowsAsync<KafkaAuthenticationException>(() => BrokerConnection.ConnectAsync(proxy.Endpoint(),
            SaslSettings(SaslMechanism.OAuthBearer, more: o => o.SaslOAuthTokenProvider = _ => ValueTask.FromResult(expired)), cts.Token));
        Assert.Contains("OAUTHBEARER", error.Message, StringComparison.Ordinal);
        Assert.Contains("invalid_token", error.Message, StringComparison.Ordinal);
        Assert.Contains("\"status\"", error.Message, StringComparison.Ordinal); // the broker's JSON challenge
        Assert.DoesNotContain(expired, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OAuthBearer_surfaces_a_failing_token_provider()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, sasl: Sasl());
        var boom = new InvalidOperationException("identity provider unreachable");
        var error = await Assert.ThrowsAsync<KafkaAuthenticationException>(() => BrokerConnection.ConnectAsync(proxy.Endpoint(),
            SaslSettings(SaslMechanism.OAuthBearer, more: o => o.SaslOAuthTokenProvider = _ => ValueTask.FromException<string>(boom)), cts.Token));
        Assert.Same(boom, error.InnerException);
        Assert.Contains("SaslOAuthTokenProvider threw InvalidOperationException: identity provider unreachable", error.Message, StringComparison.Ordinal);
        Assert.Contains(proxy.Endpoint().ToString(), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SaslMechanism.ScramSha512)]
    [InlineData(SaslMechanism.OAuthBearer)]
    public async Task Sasl_over_tls_authenticates(SaslMechanism mechanism)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, serverCertificate: fixture.Pki.Server, sasl: Sasl());
        var settings = SaslSettings(mechanism, protocol: SecurityProtocol.SaslSsl, more: o => o.SslCaFile = fixture.Pki.CaFile);
        await using var connection = await BrokerConnection.ConnectAsync(proxy.Endpoint(), settings, cts.Token);
        await AssertServesMetadataAsync(connection, cts.Token);
        Assert.Contains("authenticated", proxy.Events);
    }

    [Fact]
    public async Task A_mechanism_the_broker_does_not_enable_lists_the_brokers_mechanisms()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, sasl: Sasl("SCRAM-SHA-512", "GSSAPI"));
        var error = await Assert.ThrowsAsync<KafkaAuthenticationException>(() =>
            BrokerConnection.ConnectAsync(proxy.Endpoint(), SaslSettings(SaslMechanism.Plain), cts.Token));
        Assert.Contains("UNSUPPORTED_SASL_MECHANISM", error.Message, StringComparison.Ordinal);
        Assert.Contains("SCRAM-SHA-512, GSSAPI", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not enable PLAIN", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_illegal_sasl_state_answer_is_an_authentication_error()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, sasl: Sasl(), fault: ProxyFault.IllegalSaslState);
        var error = await Assert.ThrowsAsync<KafkaAuthenticationException>(() =>
            BrokerConnection.ConnectAsync(proxy.Endpoint(), SaslSettings(SaslMechanism.ScramSha256), cts.Token));
        Assert.Contains("ILLEGAL_SASL_STATE", error.Message, StringComparison.Ordinal);
        Assert.Contains(proxy.Endpoint().ToString(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_listener_without_sasl_is_reported_as_such()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        // The mock broker itself: PLAINTEXT, no SaslHandshake in its ApiVersions answer.
        var endpoint = RealTraffic.PartitionReader.Endpoint(fixture.Upstream, 1);
        var error = await Assert.ThrowsAsync<KafkaAuthenticationException>(() =>
            BrokerConnection.ConnectAsync(endpoint, SaslSettings(SaslMechanism.Plain), cts.Token));
        Assert.Contains("does not offer SaslHandshake", error.Message, StringComparison.Ordinal);
        Assert.Contains(endpoint.ToString(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_proxy_closing_mid_handshake_fails_promptly()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, sasl: Sasl(), fault: ProxyFault.CloseAfterSaslHandshake);
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<KafkaConnectionException>(() =>
            BrokerConnection.ConnectAsync(proxy.Endpoint(), SaslSettings(SaslMechanism.ScramSha256), cts.Token));
        Assert.Contains("during SASL SCRAM-SHA-256 authentication", error.Message, StringComparison.Ordinal);
        Assert.Contains(proxy.Endpoint().ToString(), error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_proxy_that_stops_answering_fails_after_the_setup_timeout()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, sasl: Sasl(), fault: ProxyFault.StallOnSaslAuthenticate);
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<KafkaConnectionException>(() => BrokerConnection.ConnectAsync(proxy.Endpoint(),
            SaslSettings(SaslMechanism.Plain, more: o => o.ConnectionSetupTimeout = TimeSpan.FromMilliseconds(700)), cts.Token));
        Assert.Contains("did not complete within 0.7 s", error.Message, StringComparison.Ordinal);
        Assert.Contains(proxy.Endpoint().ToString(), error.Message, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(4));
    }
}
