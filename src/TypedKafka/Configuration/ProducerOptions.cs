namespace TypedKafka;

/// <summary>How many replicas must have a record before the broker acknowledges it (Java <c>acks</c>).</summary>
public enum Acks : short
{
    /// <summary><c>acks=0</c>: no acknowledgement. Not supported by this producer (a record could be lost silently).</summary>
    None = 0,

    /// <summary><c>acks=1</c>: the leader wrote the record.</summary>
    Leader = 1,

    /// <summary><c>acks=all</c> (-1): every in-sync replica has the record (the default; required by idempotence).</summary>
    All = -1,
}

/// <summary>The codec record batches are compressed with (Java <c>compression.type</c>).</summary>
public enum CompressionType
{
    /// <summary>Uncompressed (<c>none</c>, the default).</summary>
    None = 0,

    /// <summary><c>gzip</c>.</summary>
    Gzip = 1,

    /// <summary><c>snappy</c>.</summary>
    Snappy = 2,

    /// <summary><c>lz4</c> (frame format).</summary>
    Lz4 = 3,

    /// <summary><c>zstd</c> (brokers 2.1 and later).</summary>
    Zstd = 4,
}

/// <summary>
/// The settings of a <see cref="KafkaProducer{TKey, TValue}"/>: one property per Java / kafka-python producer setting,
/// with the Java client's defaults. Durations are <see cref="TimeSpan"/>s and drop the <c>_ms</c> suffix; sizes keep
/// <c>Size</c>/<c>Bytes</c>. <see cref="FromDictionary"/> accepts the property names, the Java dotted names
/// (<c>linger.ms</c>) and kafka-python's names (<c>linger_ms</c>). Connection and security settings mean what they mean
/// on <see cref="ConsumerOptions"/>.
/// </summary>
public sealed partial class ProducerOptions
{
    /// <summary>Brokers to bootstrap from, <c>host:port</c> comma-separated. Java <c>bootstrap.servers</c>. Default <c>localhost:9092</c>.</summary>
    public string BootstrapServers { get; set; } = "localhost:9092";

    /// <summary>Sent with every request. Java <c>client.id</c>. Default null, which sends <c>typedkafka-producer</c>.</summary>
    public string? ClientId { get; set; }

    /// <summary>Java <c>acks</c>, kafka-python <c>acks</c>. Default <see cref="TypedKafka.Acks.All"/>.</summary>
    public Acks Acks { get; set; } = Acks.All;

    /// <summary>No duplicates and no reordering within a partition across retries (KIP-98 producer ids and sequence
    /// numbers; KIP-360 epoch bumps). Java <c>enable.idempotence</c>. Default true.</summary>
    public bool EnableIdempotence { get; set; } = true;

    /// <summary>How long a partition's batch waits for more records before it is sent. Java <c>linger.ms</c>. Default 5 ms.</summary>
    public TimeSpan Linger { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>A partition's batch is sent once it holds this many bytes. Java <c>batch.size</c>. Default 16,384.</summary>
    public int BatchSize { get; set; } = 16_384;

    /// <summary>Java <c>compression.type</c>, kafka-python <c>compression_type</c>. Default none.</summary>
    public CompressionType CompressionType { get; set; } = CompressionType.None;

    /// <summary>Produce requests sent to one broker before waiting for answers (at most 5 with idempotence). Java
    /// <c>max.in.flight.requests.per.connection</c>. Default 5.</summary>
    public int MaxInFlightRequestsPerConnection { get; set; } = 5;

    /// <summary>The longest a record may wait, from <c>ProduceAsync</c> to its acknowledgement, retries included, before
    /// it fails with <see cref="KafkaTimeoutException"/>. Java <c>delivery.timeout.ms</c>. Default 120 s.</summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromMilliseconds(120_000);

    /// <summary>How long a Produce request may wait for its response (also sent as the broker-side timeout). Java
    /// <c>request.timeout.ms</c>. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMilliseconds(30_000);

    /// <summary>Retries of a failed batch (within <see cref="DeliveryTimeout"/>). Java <c>retries</c>. Default int.MaxValue.</summary>
    public int Retries { get; set; } = int.MaxValue;

    /// <summary>The first pause before retrying a failed batch; doubles per attempt up to <see cref="RetryBackoffMax"/>
    /// with ±20% jitter. Java <c>retry.backoff.ms</c>. Default 100 ms.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Java <c>retry.backoff.max.ms</c>. Default 1 s.</summary>
    public TimeSpan RetryBackoffMax { get; set; } = TimeSpan.FromMilliseconds(1000);

    /// <summary>The largest Produce request, and so the largest record. Java <c>max.request.size</c>. Default 1,048,576.</summary>
    public int MaxRequestSize { get; set; } = 1_048_576;

    /// <summary>How long <c>ProduceAsync</c> may wait for a topic's metadata or for buffer space before it fails.
    /// Java <c>max.block.ms</c>. Default 60 s.</summary>
    public TimeSpan MaxBlock { get; set; } = TimeSpan.FromMilliseconds(60_000);

    /// <summary>Bytes of records waiting to be sent or acknowledged before <c>ProduceAsync</c> waits for space. Java
    /// <c>buffer.memory</c>. Default 33,554,432.</summary>
    public long BufferMemory { get; set; } = 33_554_432;

    /// <summary>Java <c>metadata.max.age.ms</c>. Default 300 s.</summary>
    public TimeSpan MetadataMaxAge { get; set; } = TimeSpan.FromMilliseconds(300_000);

    /// <summary>Ask the broker to create a topic that does not exist (if it allows it). Java <c>allow.auto.create.topics</c>. Default true.</summary>
    public bool AllowAutoCreateTopics { get; set; } = true;

    /// <summary>How long disposal waits for records still being sent before it fails them. Default 30 s.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Java <c>reconnect.backoff.ms</c>. Default 50 ms.</summary>
    public TimeSpan ReconnectBackoff { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Java <c>reconnect.backoff.max.ms</c>. Default 1 s.</summary>
    public TimeSpan ReconnectBackoffMax { get; set; } = TimeSpan.FromMilliseconds(1000);

    /// <summary>Java <c>connections.max.idle.ms</c>. Default 540 s.</summary>
    public TimeSpan ConnectionsMaxIdle { get; set; } = TimeSpan.FromMilliseconds(540_000);

    /// <summary>Java <c>socket.connection.setup.timeout.ms</c>. Default 10 s.</summary>
    public TimeSpan ConnectionSetupTimeout { get; set; } = TimeSpan.FromMilliseconds(10_000);

    /// <summary>Pins the broker version instead of asking with ApiVersions. kafka-python <c>api_version</c>. Default null.</summary>
    public Version? ApiVersion { get; set; }

    /// <summary>kafka-python <c>api_version_auto_timeout_ms</c>. Default 2 s.</summary>
    public TimeSpan ApiVersionAutoTimeout { get; set; } = TimeSpan.FromMilliseconds(2000);

    /// <summary>kafka-python <c>receive_buffer_bytes</c>; null keeps the OS default.</summary>
    public int? ReceiveBufferBytes { get; set; }

    /// <summary>kafka-python <c>send_buffer_bytes</c>; null keeps the OS default.</summary>
    public int? SendBufferBytes { get; set; }

    /// <summary>kafka-python <c>security_protocol</c>. Default PLAINTEXT.</summary>
    public SecurityProtocol SecurityProtocol { get; set; } = SecurityProtocol.Plaintext;

    /// <summary>kafka-python <c>sasl_mechanism</c>. Default null (required for SASL protocols).</summary>
    public SaslMechanism? SaslMechanism { get; set; }

    /// <summary>kafka-python <c>sasl_plain_username</c> (also used for SCRAM).</summary>
    public string? SaslUsername { get; set; }

    /// <summary>kafka-python <c>sasl_plain_password</c> (also used for SCRAM).</summary>
    public string? SaslPassword { get; set; }

    /// <summary>Supplies OAUTHBEARER tokens. kafka-python <c>sasl_oauth_token_provider</c>.</summary>
    public Func<CancellationToken, ValueTask<string>>? SaslOAuthTokenProvider { get; set; }

    /// <summary>kafka-python <c>ssl_cafile</c>.</summary>
    public string? SslCaFile { get; set; }

    /// <summary>kafka-python <c>ssl_certfile</c>.</summary>
    public string? SslCertFile { get; set; }

    /// <summary>kafka-python <c>ssl_keyfile</c>.</summary>
    public string? SslKeyFile { get; set; }

    /// <summary>kafka-python <c>ssl_password</c>.</summary>
    public string? SslPassword { get; set; }

    /// <summary>kafka-python <c>ssl_check_hostname</c>. Default true.</summary>
    public bool SslCheckHostname { get; set; } = true;

    /// <summary>A copy of these settings.</summary>
    public ProducerOptions Clone() => (ProducerOptions)MemberwiseClone();

    internal string EffectiveClientId => ClientId ?? "typedkafka-producer";

    /// <summary>The connection, security and metadata settings in the form the shared connection pool and metadata
    /// manager take them. Two extra request slots per connection leave room for Metadata beside the Produce requests.</summary>
    internal ConsumerOptions ToConnectionOptions() => new()
    {
        BootstrapServers = BootstrapServers,
        ClientId = EffectiveClientId,
        RequestTimeout = RequestTimeout,
        FetchMaxWait = TimeSpan.Zero,
        FetchMaxBytes = 1,
        MaxPartitionFetchBytes = 1,
        RetryBackoff = RetryBackoff,
        ReconnectBackoff = ReconnectBackoff,
        ReconnectBackoffMax = ReconnectBackoffMax,
        MaxInFlightRequestsPerConnection = MaxInFlightRequestsPerConnection + 2,
        MetadataMaxAge = MetadataMaxAge,
        AllowAutoCreateTopics = AllowAutoCreateTopics,
        ConnectionsMaxIdle = ConnectionsMaxIdle,
        ConnectionSetupTimeout = ConnectionSetupTimeout,
        ApiVersion = ApiVersion,
        ApiVersionAutoTimeout = ApiVersionAutoTimeout,
        ReceiveBufferBytes = ReceiveBufferBytes,
        SendBufferBytes = SendBufferBytes,
        SecurityProtocol = SecurityProtocol,
        SaslMechanism = SaslMechanism,
        SaslUsername = SaslUsername,
        SaslPassword = SaslPassword,
        SaslOAuthTokenProvider = SaslOAuthTokenProvider,
        SslCaFile = SslCaFile,
        SslCertFile = SslCertFile,
        SslKeyFile = SslKeyFile,
        SslPassword = SslPassword,
        SslCheckHostname = SslCheckHostname,
        EnableAutoCommit = false,
    };
}
