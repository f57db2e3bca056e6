namespace TypedKafka;

/// <summary>
/// The settings of a <c>KafkaConsumer&lt;TKey, TValue&gt;</c>: one property per kafka-python <c>KafkaConsumer</c>
/// setting, with the same defaults. Durations are <see cref="TimeSpan"/>s and drop the <c>_ms</c> suffix; sizes keep
/// <c>Bytes</c>. Bindable from <c>IConfiguration</c>; <see cref="FromDictionary"/> also accepts the Java dotted
/// names (<c>fetch.max.wait.ms</c>) and kafka-python's names (<c>fetch_max_wait_ms</c>).
/// </summary>
public sealed partial class ConsumerOptions
{
    /// <summary>Brokers to bootstrap from, <c>host:port</c> comma-separated; any one that answers is enough.
    /// kafka-python <c>bootstrap_servers</c>, Java <c>bootstrap.servers</c>. Default <c>localhost:9092</c>.</summary>
    public string BootstrapServers { get; set; } = "localhost:9092";

    /// <summary>Sent with every request, for broker-side logs and quotas. kafka-python <c>client_id</c>. Default <c>typedkafka</c>.</summary>
    public string ClientId { get; set; } = "typedkafka";

    /// <summary>The consumer group to join for subscriptions and commits; null means no group (assign mode only,
    /// no commits). kafka-python <c>group_id</c>. Default null.</summary>
    public string? GroupId { get; set; }

    /// <summary>A stable member identity for static membership (KIP-345). Java <c>group.instance.id</c>. Default null.</summary>
    public string? GroupInstanceId { get; set; }

    /// <summary>Topics subscribed to at construction (kafka-python's <c>*topics</c>). Default none.</summary>
    public IList<string> Topics { get; set; } = [];

    /// <summary>The least data the broker should gather before answering a fetch. kafka-python <c>fetch_min_bytes</c>. Default 1.</summary>
    public int FetchMinBytes { get; set; } = 1;

    /// <summary>The longest the broker waits for <see cref="FetchMinBytes"/>. kafka-python <c>fetch_max_wait_ms</c>. Default 500 ms.</summary>
    public TimeSpan FetchMaxWait { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The most data one fetch response may carry (soft limit: a first batch larger than this is still
    /// returned). kafka-python <c>fetch_max_bytes</c>. Default 52,428,800 (50 MiB).</summary>
    public int FetchMaxBytes { get; set; } = 52_428_800;

    /// <summary>The most data per partition in one fetch response (soft limit, as above). kafka-python
    /// <c>max_partition_fetch_bytes</c>. Default 1,048,576 (1 MiB).</summary>
    public int MaxPartitionFetchBytes { get; set; } = 1_048_576;

    /// <summary>How long a request may wait for its response before it fails (and is retried where safe).
    /// kafka-python <c>request_timeout_ms</c>. Default 305 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMilliseconds(305_000);

    /// <summary>The pause before retrying a failed request. kafka-python <c>retry_backoff_ms</c>. Default 100 ms.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The first pause before reconnecting to a broker; doubles per failure up to <see cref="ReconnectBackoffMax"/>,
    /// with ±20% jitter. kafka-python <c>reconnect_backoff_ms</c>. Default 50 ms.</summary>
    public TimeSpan ReconnectBackoff { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest pause between reconnects. kafka-python <c>reconnect_backoff_max_ms</c>. Default 1 s.</summary>
    public TimeSpan ReconnectBackoffMax { get; set; } = TimeSpan.FromMilliseconds(1000);

    /// <summary>Requests sent on one connection before waiting for answers. kafka-python
    /// <c>max_in_flight_requests_per_connection</c>. Default 5.</summary>
    public int MaxInFlightRequestsPerConnection { get; set; } = 5;

    /// <summary>Where to start when a partition has no committed offset or its position is out of range.
    /// kafka-python <c>auto_offset_reset</c>. Default <see cref="TypedKafka.AutoOffsetReset.Latest"/>.</summary>
    public AutoOffsetReset AutoOffsetReset { get; set; } = AutoOffsetReset.Latest;

    /// <summary>Commit consumed positions in the background every <see cref="AutoCommitInterval"/> (and before
    /// revocation and on close). kafka-python <c>enable_auto_commit</c>. Default true.</summary>
    public bool EnableAutoCommit { get; set; } = true;

    /// <summary>How often positions are auto-committed. kafka-python <c>auto_commit_interval_ms</c>. Default 5 s.</summary>
    public TimeSpan AutoCommitInterval { get; set; } = TimeSpan.FromMilliseconds(5000);

    /// <summary>Verify the CRC of every record batch (costs some CPU). kafka-python <c>check_crcs</c>. Default true.</summary>
    public bool CheckCrcs { get; set; } = true;

    /// <summary>Which records fetches return. kafka-python <c>isolation_level</c>. Default read_uncommitted.</summary>
    public IsolationLevel IsolationLevel { get; set; } = IsolationLevel.ReadUncommitted;

    /// <summary>Metadata is refreshed at least this often, to find new partitions and leaders. kafka-python
    /// <c>metadata_max_age_ms</c>. Default 300 s.</summary>
    public TimeSpan MetadataMaxAge { get; set; } = TimeSpan.FromMilliseconds(300_000);

    /// <summary>The assignors this member supports, most preferred first (classic protocol). kafka-python
    /// <c>partition_assignment_strategy</c>. Default range, roundrobin.</summary>
    public IList<PartitionAssignmentStrategy> PartitionAssignmentStrategy { get; set; } =
        [TypedKafka.PartitionAssignmentStrategy.Range, TypedKafka.PartitionAssignmentStrategy.RoundRobin];

    /// <summary>The consumer group protocol. Java <c>group.protocol</c>. Default classic.</summary>
    public GroupProtocol GroupProtocol { get; set; } = GroupProtocol.Classic;

    /// <summary>The most records one poll returns. kafka-python <c>max_poll_records</c>. Default 500.</summary>
    public int MaxPollRecords { get; set; } = 500;

    /// <summary>The longest the application may go between polls before the member leaves its group.
    /// kafka-python <c>max_poll_interval_ms</c>. Default 300 s.</summary>
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromMilliseconds(300_000);

    /// <summary>A member that sends no heartbeat for this long is removed from its group. kafka-python
    /// <c>session_timeout_ms</c>. Default 10 s.</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromMilliseconds(10_000);

    /// <summary>How often heartbeats are sent (below a third of <see cref="SessionTimeout"/>). kafka-python
    /// <c>heartbeat_interval_ms</c>. Default 3 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromMilliseconds(3000);

    /// <summary>Connections idle this long are closed. kafka-python <c>connections_max_idle_ms</c>. Default 540 s.</summary>
    public TimeSpan ConnectionsMaxIdle { get; set; } = TimeSpan.FromMilliseconds(540_000);

    /// <summary>Pins the broker version instead of asking each broker with ApiVersions, e.g. <c>2.8.0</c>; null
    /// negotiates. kafka-python <c>api_version</c>. Default null.</summary>
    public Version? ApiVersion { get; set; }

    /// <summary>How long the ApiVersions exchange with a new connection may take. kafka-python
    /// <c>api_version_auto_timeout_ms</c>. Default 2 s.</summary>
    public TimeSpan ApiVersionAutoTimeout { get; set; } = TimeSpan.FromMilliseconds(2000);

    /// <summary>How long a TCP connect may take before the attempt fails. Java
    /// <c>socket.connection.setup.timeout.ms</c>. Default 10 s.</summary>
    public TimeSpan ConnectionSetupTimeout { get; set; } = TimeSpan.FromMilliseconds(10_000);

    /// <summary>Hide internal topics (<c>__consumer_offsets</c>, ...) from pattern subscriptions and <c>TopicsAsync</c>.
    /// kafka-python <c>exclude_internal_topics</c>. Default true.</summary>
    public bool ExcludeInternalTopics { get; set; } = true;

    /// <summary>Let the broker create a subscribed topic that does not exist (if the broker allows it).
    /// kafka-python <c>allow_auto_create_topics</c>. Default true.</summary>
    public bool AllowAutoCreateTopics { get; set; } = true;

    /// <summary>The rack of this consumer, to fetch from the closest replica (KIP-392). Java <c>client.rack</c>. Default empty.</summary>
    public string ClientRack { get; set; } = string.Empty;

    /// <summary>Use incremental fetch sessions (KIP-227), which send only changed partitions. Default true.</summary>
    public bool EnableIncrementalFetchSessions { get; set; } = true;

    /// <summary>How the ConsumeAsync iterator ends when no record arrives for this long; null waits forever.
    /// kafka-python <c>consumer_timeout_ms</c>. Default null.</summary>
    public TimeSpan? ConsumerTimeout { get; set; }

    /// <summary>Socket receive buffer size; null keeps the OS default. kafka-python <c>receive_buffer_bytes</c>.</summary>
    public int? ReceiveBufferBytes { get; set; }

    /// <summary>Socket send buffer size; null keeps the OS default. kafka-python <c>send_buffer_bytes</c>.</summary>
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

    /// <summary>PEM file of certificate authorities to trust; null uses the system store. kafka-python <c>ssl_cafile</c>.</summary>
    public string? SslCaFile { get; set; }

    /// <summary>PEM client certificate (chain) for mutual TLS. kafka-python <c>ssl_certfile</c>.</summary>
    public string? SslCertFile { get; set; }

    /// <summary>PEM private key of the client certificate. kafka-python <c>ssl_keyfile</c>.</summary>
    public string? SslKeyFile { get; set; }

    /// <summary>Password of <see cref="SslKeyFile"/>. kafka-python <c>ssl_password</c>.</summary>
    public string? SslPassword { get; set; }

    /// <summary>Check that the broker's certificate matches its host name. kafka-python <c>ssl_check_hostname</c>. Default true.</summary>
    public bool SslCheckHostname { get; set; } = true;

    /// <summary>A copy whose collections are independent of this instance's.</summary>
    public ConsumerOptions Clone()
    {
        var copy = (ConsumerOptions)MemberwiseClone();
        copy.Topics = [.. Topics];
        copy.PartitionAssignmentStrategy = [.. PartitionAssignmentStrategy];
        return copy;
    }

    /// <summary>Where the consumer writes its log (rebalances, retries, failovers, dropped connections). Not a
    /// configuration key; set it in code or let <c>AddTypedKafka</c> supply the host's. Default none.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; set; }
}
