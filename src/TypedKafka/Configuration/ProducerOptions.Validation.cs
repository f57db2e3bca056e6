namespace TypedKafka;

public sealed partial class ProducerOptions
{
    /// <summary>Checks every setting and the rules between them.</summary>
    /// <exception cref="ArgumentException">A setting is invalid; <see cref="ArgumentException.ParamName"/> and the message name it.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(BootstrapServers))
            throw Invalid(nameof(BootstrapServers), BootstrapServers, "at least one host:port is required");
        _ = ConsumerOptions.ParseBootstrapServers(BootstrapServers);
        Require(Enum.IsDefined(Acks), nameof(Acks), Acks, "must be All, Leader or None");
        Require(Acks != Acks.None, nameof(Acks), Acks,
            "acks=0 is not supported: the broker sends no answer, so a lost record could not be reported; use Leader (1) or All");
        Require(!EnableIdempotence || Acks == Acks.All, nameof(Acks), Acks, "must be All when EnableIdempotence is true (as in the Java client)");
        Require(!EnableIdempotence || MaxInFlightRequestsPerConnection <= 5, nameof(MaxInFlightRequestsPerConnection), MaxInFlightRequestsPerConnection,
            "must be at most 5 when EnableIdempotence is true (the broker keeps the sequence numbers of the last 5 batches per partition)");
        Require(MaxInFlightRequestsPerConnection >= 1, nameof(MaxInFlightRequestsPerConnection), MaxInFlightRequestsPerConnection, "must be at least 1");
        Require(!EnableIdempotence || Retries > 0, nameof(Retries), Retries, "must be more than 0 when EnableIdempotence is true");
        Require(Retries >= 0, nameof(Retries), Retries, "must be 0 or more");
        RequireMs(Linger, nameof(Linger), allowZero: true);
        Require(BatchSize >= 0, nameof(BatchSize), BatchSize, "must be 0 or more");
        Require(Enum.IsDefined(CompressionType), nameof(CompressionType), CompressionType, "must be None, Gzip, Snappy, Lz4 or Zstd");
        RequireMs(RequestTimeout, nameof(RequestTimeout), allowZero: false);
        RequireMs(DeliveryTimeout, nameof(DeliveryTimeout), allowZero: false);
        Require(DeliveryTimeout >= Linger + RequestTimeout, nameof(DeliveryTimeout), DeliveryTimeout,
            $"must be at least Linger + RequestTimeout ({Linger + RequestTimeout}), as in the Java client");
        RequireMs(RetryBackoff, nameof(RetryBackoff), allowZero: true);
        RequireMs(RetryBackoffMax, nameof(RetryBackoffMax), allowZero: true);
        Require(RetryBackoffMax >= RetryBackoff, nameof(RetryBackoffMax), RetryBackoffMax, $"must be at least RetryBackoff ({RetryBackoff})");
        Require(MaxRequestSize >= 1024, nameof(MaxRequestSize), MaxRequestSize, "must be at least 1024");
        RequireMs(MaxBlock, nameof(MaxBlock), allowZero: true);
        Require(BufferMemory >= MaxRequestSize, nameof(BufferMemory), BufferMemory, $"must be at least MaxRequestSize ({MaxRequestSize})");
        RequireMs(MetadataMaxAge, nameof(MetadataMaxAge), allowZero: true);
        RequireMs(CloseTimeout, nameof(CloseTimeout), allowZero: true);
        RequireMs(ReconnectBackoff, nameof(ReconnectBackoff), allowZero: true);
        RequireMs(ReconnectBackoffMax, nameof(ReconnectBackoffMax), allowZero: true);
        RequireMs(ConnectionsMaxIdle, nameof(ConnectionsMaxIdle), allowZero: false);
        RequireMs(ConnectionSetupTimeout, nameof(ConnectionSetupTimeout), allowZero: false);
        RequireMs(ApiVersionAutoTimeout, nameof(ApiVersionAutoTimeout), allowZero: false);
        // Connection and security rules are the consumer's (SASL mechanism needed with SASL protocols, TLS files, ...).
        var connection = ToConnectionOptions();
        try
        {
            connection.Validate();
            _ = Connections.ConnectionSettings.From(connection);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException(e.Message.Replace("ConsumerOptions", "ProducerOptions", StringComparison.Ordinal), e.ParamName, e);
        }
    }

    private static void Require(bool condition, string name, object? value, string rule)
    {
        if (!condition) throw Invalid(name, value, rule);
    }

    private static void RequireMs(TimeSpan value, string name, bool allowZero)
    {
        Require(value > TimeSpan.Zero || (allowZero && value == TimeSpan.Zero), name, value, allowZero ? "must not be negative" : "must be positive");
        Require(value.TotalMilliseconds <= int.MaxValue, name, value, "must fit in int32 milliseconds (about 24.8 days)");
    }

    private static ArgumentException Invalid(string name, object? value, string rule) =>
        new($"ProducerOptions.{name} ({value ?? "null"}) {rule}.", name);
}
