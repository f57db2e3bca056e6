using System.Diagnostics;
using TypedKafka.Connections;
using static TypedKafka.Tests.Security.SecurityTestHelpers;

namespace TypedKafka.Tests.Security;

public sealed class TlsTests(SecurityFixture fixture) : IClassFixture<SecurityFixture>
{
    private TestPki Pki => fixture.Pki;

    [Fact]
    public async Task Tls_with_a_ca_bundle_connects_and_serves_requests()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, serverCertificate: Pki.Server);
        var settings = Settings(o =>
        {
            o.SecurityProtocol = SecurityProtocol.Ssl;
            o.SslCaFile = Pki.CaBundleFile; // two certificates; the broker's CA is the second
        });

        await using var connection = await BrokerConnection.ConnectAsync(proxy.Endpoint(), settings, cts.Token);
        await AssertServesMetadataAsync(connection, cts.Token);
    }

    [Fact]
    public async Task An_untrusted_certificate_fails_naming_the_broker_and_the_reason()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, serverCertificate: Pki.Server);
        var endpoint = proxy.Endpoint();

        var error = await Assert.ThrowsAsync<KafkaAuthenticationException>(() => BrokerConnection.ConnectAsync(endpoint,
            Settings(o =>
            {
                o.SecurityProtocol = SecurityProtocol.Ssl;
                o.SslCaFile = Pki.OtherCaFile;
            }), cts.Token));
        Assert.Contains(endpoint.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains($"certificate for 127.0.0.1:{proxy.Port} is not trusted", error.Message, StringComparison.Ordinal);
        Assert.Matches("UntrustedRoot|PartialChain", error.Message);
        Assert.Contains(Pki.OtherCaFile, error.Message, StringComparison.Ordinal);

        // Without SslCaFile the system store decides, and it does not know the test CA either.
        var system = await Assert.ThrowsAsync<KafkaAuthenticationException>(() => BrokerConnection.ConnectAsync(endpoint,
            Settings(o => o.SecurityProtocol = SecurityProtocol.Ssl), cts.Token));
        Assert.Contains("is not trusted", system.Message, StringComparison.Ordinal);
        Assert.Contains("system trust store", system.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_name_mismatch_fails_unless_the_check_is_disabled()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, serverCertificate: Pki.WrongNameServer);

        var error = await Assert.ThrowsAsync<KafkaAuthenticationException>(() => BrokerConnection.ConnectAsync(proxy.Endpoint(),
            Settings(o =>
            {
                o.SecurityProtocol = SecurityProtocol.Ssl;
                o.SslCaFile = Pki.CaFile;
            }), cts.Token));
        Assert.Contains("does not match the host name '127.0.0.1'", error.Message, StringComparison.Ordinal);
        Assert.Contains("elsewhere.invalid", error.Message, StringComparison.Ordinal);
        Assert.Contains(proxy.Endpoint().ToString(), error.Message, StringComparison.Ordinal);

        await using var connection = await BrokerConnection.ConnectAsync(proxy.Endpoint(), Settings(o =>
        {
            o.SecurityProtocol = SecurityProtocol.Ssl;
            o.SslCaFile = Pki.CaFile;
            o.SslCheckHostname = false;
        }), cts.Token);
        await AssertServesMetadataAsync(connection, cts.Token);
    }

    [Fact]
    public async Task A_matching_dns_name_passes_the_host_name_check()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, serverCertificate: Pki.Server);
        await using var connection = await BrokerConnection.ConnectAsync(proxy.Endpoint("localhost"), Settings(o =>
        {
            o.SecurityProtocol = SecurityProtocol.Ssl;
            o.SslCaFile = Pki.CaFile;
        }), cts.Token);
        await AssertServesMetadataAsync(connection, cts.Token);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Mutual_tls_presents_the_client_certificate(bool encryptedKey)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, serverCertificate: Pki.Server, clientCa: Pki.Ca);
        var settings = Settings(o =>
        {
            o.SecurityProtocol = SecurityProtocol.Ssl;
            o.SslCaFile = Pki.CaFile;
            o.SslCertFile = Pki.ClientCertFile;
            o.SslKeyFile = encryptedKey ? Pki.ClientEncryptedKeyFile : Pki.ClientKeyFile;
            o.SslPassword = encryptedKey ? TestPki.KeyPassword : null;
        });

        await using var connection = await BrokerConnection.ConnectAsync(proxy.Endpoint(), settings, cts.Token);
        await AssertServesMetadataAsync(connection, cts.Token);
        Assert.Contains("client certificate CN=typedkafka-client", proxy.Events);
    }

    [Fact]
    public async Task Mutual_tls_with_a_wrong_key_password_fails_without_showing_it()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, serverCertificate: Pki.Server, clientCa: Pki.Ca);
        const string wrong = "not-the-key-password-91";
        var error = await Assert.ThrowsAsync<KafkaAuthenticationException>(() => BrokerConnection.ConnectAsync(proxy.Endpoint(), Settings(o =>
        {
            o.SecurityProtocol = SecurityProtocol.Ssl;
            o.SslCaFile = Pki.CaFile;
            o.SslCertFile = Pki.ClientCertFile;
            o.SslKeyFile = Pki.ClientEncryptedKeyFile;
            o.SslPassword = wrong;
        }), cts.Token));
        Assert.Contains("SslKeyFile", error.Message, StringComparison.Ordinal);
        Assert.Contains("wrong SslPassword", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, error.ToString(), StringComparison.Ordinal);

        var missing = await Assert.ThrowsAsync<KafkaAuthenticationException>(() => BrokerConnection.ConnectAsync(proxy.Endpoint(), Settings(o =>
        {
            o.SecurityProtocol = SecurityProtocol.Ssl;
            o.SslCaFile = Pki.CaFile;
            o.SslCertFile = Pki.ClientCertFile;
            o.SslKeyFile = Pki.ClientEncryptedKeyFile;
        }), cts.Token));
        Assert.Contains("encrypted private key; set SslPassword", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broker_requiring_a_client_certificate_refuses_a_client_without_one()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, serverCertificate: Pki.Server, clientCa: Pki.Ca);
        // With TLS 1.3 the client learns of the refusal only after its side of the handshake, at the first read: either
        // way the connection must fail promptly with a KafkaException naming the broker.
        var error = await Assert.ThrowsAnyAsync<KafkaException>(() => BrokerConnection.ConnectAsync(proxy.Endpoint(), Settings(o =>
        {
            o.SecurityProtocol = SecurityProtocol.Ssl;
            o.SslCaFile = Pki.CaFile;
        }), cts.Token));
        Assert.True(error is KafkaAuthenticationException or KafkaConnectionException, error.ToString());
        Assert.Contains(proxy.Endpoint().ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains("SslCertFile", error.Message, StringComparison.Ordinal);
        Assert.Contains("client sent no certificate", proxy.Events);
    }

    [Fact]
    public async Task A_proxy_closing_during_the_tls_handshake_fails_fast()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var proxy = new SecureProxy(fixture.Upstream, serverCertificate: Pki.Server, fault: ProxyFault.CloseDuringTls);
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<KafkaConnectionException>(() => BrokerConnection.ConnectAsync(proxy.Endpoint(), Settings(o =>
        {
            o.SecurityProtocol = SecurityProtocol.Ssl;
            o.SslCaFile = Pki.CaFile;
        }), cts.Token));
        Assert.Contains("TLS handshake", error.Message, StringComparison.Ordinal);
        Assert.Contains(proxy.Endpoint().ToString(), error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Tls_against_a_plaintext_listener_fails_within_the_setup_timeout()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAnyAsync<KafkaException>(() => BrokerConnection.ConnectAsync(
            RealTraffic.PartitionReader.Endpoint(fixture.Upstream), Settings(o =>
            {
                o.SecurityProtocol = SecurityProtocol.Ssl;
                o.ConnectionSetupTimeout = TimeSpan.FromSeconds(2);
            }), cts.Token));
        Assert.True(error is KafkaConnectionException or KafkaAuthenticationException, error.ToString());
        Assert.Contains("TLS handshake", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), $"took {clock.Elapsed}");
    }
}
