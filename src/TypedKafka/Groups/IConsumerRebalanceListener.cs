namespace TypedKafka;

/// <summary>
/// Told when partitions leave or join this consumer's assignment in a group. Callbacks run on the caller's
/// <c>PollAsync</c> and are awaited: revoked partitions are reported before a new assignment is used (commit their
/// offsets here when auto-commit is off), and lost partitions (the member was fenced or its session expired, so another
/// member may already own them) are reported instead of revoked.
/// </summary>
public interface IConsumerRebalanceListener
{
    /// <summary>The partitions are about to leave the assignment; their offsets may still be committed.</summary>
    ValueTask OnPartitionsRevokedAsync(IReadOnlyCollection<TopicPartition> revoked, CancellationToken cancellationToken);

    /// <summary>The partitions were added to the assignment; positions are not yet initialised.</summary>
    ValueTask OnPartitionsAssignedAsync(IReadOnlyCollection<TopicPartition> assigned, CancellationToken cancellationToken);

    /// <summary>The partitions were lost without an orderly revocation; committing their offsets would fail.</summary>
    ValueTask OnPartitionsLostAsync(IReadOnlyCollection<TopicPartition> lost, CancellationToken cancellationToken)
        => OnPartitionsRevokedAsync(lost, cancellationToken);
}
