namespace TypedKafka;

/// <summary>Where a partition without a valid position starts (kafka-python <c>auto_offset_reset</c>, Java <c>auto.offset.reset</c>).</summary>
public enum AutoOffsetReset
{
    /// <summary>Start at the newest offset (the default).</summary>
    Latest,

    /// <summary>Start at the oldest offset still in the log.</summary>
    Earliest,

    /// <summary>Fail with <see cref="NoOffsetForPartitionException"/> / <see cref="OffsetOutOfRangeException"/>.</summary>
    None,
}

/// <summary>Which records a fetch may return (Java <c>isolation.level</c>).</summary>
public enum IsolationLevel
{
    /// <summary>Every record, including those of open or aborted transactions (the default).</summary>
    ReadUncommitted = 0,

    /// <summary>Only records of committed transactions, up to the last stable offset.</summary>
    ReadCommitted = 1,
}

/// <summary>A partition assignment strategy of the classic group protocol; names match the Java client's protocol names.</summary>
public enum PartitionAssignmentStrategy
{
    /// <summary><c>range</c>: per topic, consecutive partition ranges.</summary>
    Range,

    /// <summary><c>roundrobin</c>: all partitions dealt round-robin.</summary>
    RoundRobin,

    /// <summary><c>sticky</c>: balanced, keeping previous owners (eager).</summary>
    Sticky,

    /// <summary><c>cooperative-sticky</c>: sticky with incremental cooperative rebalancing (KIP-429).</summary>
    CooperativeSticky,
}

/// <summary>Which consumer group protocol to use (Java <c>group.protocol</c>).</summary>
public enum GroupProtocol
{
    /// <summary>JoinGroup/SyncGroup/Heartbeat with client-side assignment (the default).</summary>
    Classic,

    /// <summary>The next-generation protocol of KIP-848 (ConsumerGroupHeartbeat, server-side assignment).</summary>
    Consumer,
}

/// <summary>How connections to brokers are secured (Java <c>security.protocol</c>).</summary>
public enum SecurityProtocol
{
    /// <summary><c>PLAINTEXT</c>: neither TLS nor SASL.</summary>
    Plaintext,
    /// <summary><c>SSL</c>: TLS, no SASL.</summary>
    Ssl,
    /// <summary><c>SASL_PLAINTEXT</c>: SASL authentication on an unencrypted connection.</summary>
    SaslPlaintext,
    /// <summary><c>SASL_SSL</c>: SASL authentication over TLS.</summary>
    SaslSsl,
}

/// <summary>The SASL mechanism (Java <c>sasl.mechanism</c>).</summary>
public enum SaslMechanism
{
    /// <summary><c>PLAIN</c>: user name and password sent as they are (use it over TLS).</summary>
    Plain,
    /// <summary><c>SCRAM-SHA-256</c> (KIP-84).</summary>
    ScramSha256,
    /// <summary><c>SCRAM-SHA-512</c> (KIP-84).</summary>
    ScramSha512,
    /// <summary><c>OAUTHBEARER</c> (KIP-255): a bearer token from the application's token provider.</summary>
    OAuthBearer,
}
