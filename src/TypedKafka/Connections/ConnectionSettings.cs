namespace TypedKafka.Connections;

/// <summary>The connection-level settings taken from <see cref="ConsumerOptions"/>, resolved once.</summary>
internal sealed record ConnectionSettings(
    string ClientId,
    TimeSpan RequestTimeout,
    TimeSpan ConnectionSetupTimeout,
    TimeSpan ApiVersionTimeout,
    int MaxInFlightRequests,
    int MaxResponseBytes,
    int? ReceiveBufferBytes,
    int? SendBufferBytes,
    Version? PinnedBrokerVersion)
{
    public static ConnectionSettings From(ConsumerOptions options)
    {
        // A fetch response may exceed FetchMaxBytes by one oversized batch (KIP-74), so leave generous headroom; the
        // bound still stops a corrupt size prefix from making us wait for gigabytes.
        var maxResponse = (int)Math.Min(int.MaxValue - 1024L, Math.Max(options.FetchMaxBytes, options.MaxPartitionFetchBytes) + 128L * 1024 * 1024);
        return new ConnectionSettings(
            options.ClientId,
            options.RequestTimeout,
            options.ConnectionSetupTimeout,
            options.ApiVersionAutoTimeout,
            options.MaxInFlightRequestsPerConnection,
            maxResponse,
            options.ReceiveBufferBytes,
            options.SendBufferBytes,
            options.ApiVersion);
    }
}
