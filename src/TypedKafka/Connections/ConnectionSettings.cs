namespace TypedKafka.Connections;

/// <summary>The connection-level settings taken from <see cref="ConsumerOptions"/>, resolved once.</summary>
/// <remarks><c>Tls</c> is set when the protocol is SSL or SASL_SSL (how to run TLS over each new socket); <c>Sasl</c> when it
/// is SASL_PLAINTEXT or SASL_SSL (how to authenticate after ApiVersions). Their <c>ToString</c> hides passwords, so this
/// record's does too.</remarks>
internal sealed record ConnectionSettings(
    string ClientId,
    TimeSpan RequestTimeout,
    TimeSpan ConnectionSetupTimeout,
    TimeSpan ApiVersionTimeout,
    int MaxInFlightRequests,
    int MaxResponseBytes,
    int? ReceiveBufferBytes,
    int? SendBufferBytes,
    Version? PinnedBrokerVersion,
    SecurityProtocol SecurityProtocol = SecurityProtocol.Plaintext,
    TlsSettings? Tls = null,
    SaslSettings? Sasl = null)
{
    public static ConnectionSettings From(ConsumerOptions options)
    {
        // A fetch response may exceed FetchMaxBytes by one oversized batch (KIP-74), so leave generous headroom; the
        // bound still stops a corrupt size prefix from making us wait for gigabytes.
        var maxResponse = (int)Math.Min(int.MaxValue - 1024L, Math.Max(options.FetchMaxBytes, options.MaxPartitionFetchBytes) + 128L * 1024 * 1024);
        var protocol = options.SecurityProtocol;
        var tls = protocol is SecurityProtocol.Ssl or SecurityProtocol.SaslSsl
            ? new TlsSettings(options.SslCaFile, options.SslCertFile, options.SslKeyFile, options.SslPassword, options.SslCheckHostname)
            : null;
        SaslSettings? sasl = null;
        if (protocol is SecurityProtocol.SaslPlaintext or SecurityProtocol.SaslSsl)
        {
            var mechanism = options.SaslMechanism
                ?? throw new ArgumentException($"ConsumerOptions.SaslMechanism (null) is required with SecurityProtocol {protocol}.", nameof(ConsumerOptions.SaslMechanism));
            sasl = new SaslSettings(mechanism, options.SaslUsername, options.SaslPassword, options.SaslOAuthTokenProvider);
        }
        return new ConnectionSettings(
            options.ClientId,
            options.RequestTimeout,
            options.ConnectionSetupTimeout,
            options.ApiVersionAutoTimeout,
            options.MaxInFlightRequestsPerConnection,
            maxResponse,
            options.ReceiveBufferBytes,
            options.SendBufferBytes,
            options.ApiVersion,
            protocol,
            tls,
            sasl);
    }
}
