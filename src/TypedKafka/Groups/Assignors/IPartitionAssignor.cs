namespace TypedKafka.Groups.Assignors;

/// <summary>How a group moves partitions during a rebalance (KIP-429).</summary>
internal enum RebalanceProtocol
{
    /// <summary>Every member revokes all its partitions before joining; the leader assigns from scratch.</summary>
    Eager,

    /// <summary>Members keep their partitions while joining; only partitions that change owner are revoked, and a
    /// partition reaches its new owner in a follow-up rebalance once the old owner has let go of it.</summary>
    Cooperative,
}

/// <summary>
/// A client-side partition assignor of the classic consumer group protocol. Its <see cref="Name"/> is the protocol
/// name members advertise in JoinGroup; the broker picks one name every member supports, and the leader runs that
/// assignor's <see cref="Assign"/> over all members' subscriptions.
/// </summary>
/// <remarks>Implementations are stateless and thread-safe: what Java's assignors remember between rebalances
/// (the last assignment and generation) is passed in by the caller.</remarks>
internal interface IPartitionAssignor
{
    /// <summary>The protocol name, exactly as the Java client spells it (<c>range</c>, <c>roundrobin</c>,
    /// <c>sticky</c>, <c>cooperative-sticky</c>).</summary>
    string Name { get; }

    /// <summary>True when the assignor is safe under <see cref="RebalanceProtocol.Cooperative"/>; every assignor
    /// supports <see cref="RebalanceProtocol.Eager"/>.</summary>
    bool SupportsCooperative { get; }

    /// <summary>
    /// The user data this member puts into its subscription.
    /// </summary>
    /// <param name="lastAssignment">The partitions this member received in its last completed rebalance (before any
    /// eager revocation), or null when it has never been assigned.</param>
    /// <param name="generationId">The generation of that rebalance, or <see cref="MemberSubscription.NoGeneration"/>.</param>
    /// <returns>The bytes, or null for none (distinct from empty).</returns>
    ReadOnlyMemory<byte>? SubscriptionUserData(IReadOnlyCollection<TopicPartition>? lastAssignment, int generationId);

    /// <summary>
    /// Computes the group's assignment (run by the group leader).
    /// </summary>
    /// <param name="partitionsPerTopic">Partition counts of the subscribed topics that exist; topics missing here are
    /// skipped, as are topics with no partitions.</param>
    /// <param name="members">Every member's subscription, by member id.</param>
    /// <returns>For every member id, its partitions sorted by topic (ordinal) and partition; empty when it gets none.</returns>
    IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        IReadOnlyDictionary<string, MemberSubscription> members);
}
