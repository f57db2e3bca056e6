namespace TypedKafka.Groups;

/// <summary>What a membership protocol asks of the <see cref="GroupCoordinator"/> that drives it: the subscription,
/// the owned partitions and the listener/member calls, commits before revocation, and the poll and error bookkeeping.</summary>
internal interface IMembershipHost
{
    /// <summary>The subscribed topics (read under <see cref="GroupContext.Gate"/>).</summary>
    IReadOnlySet<string> SubscriptionLocked { get; }

    /// <summary>True while there is a subscription (read under <see cref="GroupContext.Gate"/>).</summary>
    bool SubscribedLocked { get; }

    /// <summary>True when the subscription is a pattern (read under <see cref="GroupContext.Gate"/>).</summary>
    bool HasPatternLocked { get; }

    /// <summary>The partitions the coordinator has given the member (caller only).</summary>
    IReadOnlySet<TopicPartition> Owned { get; }

    /// <summary>The time since the caller last polled (for MaxPollInterval).</summary>
    TimeSpan SinceLastPoll { get; }

    IReadOnlyDictionary<TopicPartition, OffsetAndMetadata> ConsumedOffsets();

    void SetSubscribedTopics(IReadOnlyCollection<string> topics, bool allTopics);

    /// <summary>Revoked partitions: the listener hears first, then the member drops them.</summary>
    ValueTask RevokeAsync(IReadOnlyCollection<TopicPartition> partitions, CancellationToken ct);

    /// <summary>Every owned partition is lost: the listener hears, the member drops them, nothing is committed.</summary>
    ValueTask LoseAsync(CancellationToken ct);

    /// <summary>Added partitions: the member gets them, then the listener hears (even when empty).</summary>
    ValueTask AssignAsync(IReadOnlyCollection<TopicPartition> added, CancellationToken ct);

    /// <summary>Auto-commit only: commits the consumed offsets of partitions about to be revoked.</summary>
    ValueTask CommitBeforeRevocationAsync(IReadOnlyCollection<TopicPartition> partitions, TimeSpan timeout, CancellationToken ct);

    /// <summary>Waits, bounded, for every commit queued so far (before a leave).</summary>
    ValueTask CommitsSettledAsync(TimeSpan timeout);

    /// <summary>Records an error that ends membership; every later poll throws it.</summary>
    void SetFatal(Exception error);

    /// <summary><see cref="SetFatal"/> with <see cref="GroupContext.Gate"/> already held (logged by the caller).</summary>
    void SetFatalLocked(Exception error);

    /// <summary>Throws the fatal error when there is one.</summary>
    void ThrowIfFatal();

    /// <summary>An error the next poll throws once.</summary>
    void Defer(Exception error);

    void EnsureHeartbeatLoop();

    void WakeHeartbeat();

    /// <summary>The poll-timeout warning: says that the member leaves, why, and with which interval.</summary>
    void LogPollTimeout(TimeSpan elapsed, string memberId);
}
