namespace TypedKafka.Groups.Assignors;

/// <summary>
/// One group member's subscription as the group leader's assignor sees it: the classic consumer protocol's
/// subscription metadata (JoinGroup protocol metadata) plus the member's <c>group.instance.id</c>, which the broker
/// reports next to the metadata rather than inside it.
/// </summary>
/// <remarks>
/// Fields a peer's subscription version does not carry keep their defaults: no owned partitions before v1,
/// <see cref="NoGeneration"/> before v2 and no rack before v3.
/// </remarks>
internal sealed class MemberSubscription
{
    /// <summary>The generation reported when a member does not know one (Java's <c>DEFAULT_GENERATION</c>).</summary>
    public const int NoGeneration = -1;

    /// <summary>Creates a subscription to <paramref name="topics"/>.</summary>
    public MemberSubscription(IReadOnlyList<string> topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        Topics = topics;
    }

    /// <summary>The topics the member subscribes to.</summary>
    public IReadOnlyList<string> Topics { get; }

    /// <summary>The partitions the member owns while joining (subscription v1+; cooperative protocols).</summary>
    public IReadOnlyList<TopicPartition> OwnedPartitions { get; init; } = [];

    /// <summary>The generation in which the member last received an assignment (subscription v2+), or
    /// <see cref="NoGeneration"/>.</summary>
    public int GenerationId { get; init; } = NoGeneration;

    /// <summary>The member's <c>client.rack</c> (subscription v3+), or null.</summary>
    public string? RackId { get; init; }

    /// <summary>The member's <c>group.instance.id</c> (static membership, KIP-345), or null for a dynamic member.</summary>
    public string? GroupInstanceId { get; init; }

    /// <summary>The assignor-specific user data, or null.</summary>
    public ReadOnlyMemory<byte>? UserData { get; init; }
}

/// <summary>One member's assignment as carried in SyncGroup: the partitions and the assignor's user data.</summary>
internal sealed class MemberAssignment
{
    /// <summary>Creates an assignment.</summary>
    public MemberAssignment(IReadOnlyList<TopicPartition> partitions, ReadOnlyMemory<byte>? userData = null)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        Partitions = partitions;
        UserData = userData;
    }

    /// <summary>The assigned partitions, in the order the assignment listed them.</summary>
    public IReadOnlyList<TopicPartition> Partitions { get; }

    /// <summary>The assignor-specific user data, or null.</summary>
    public ReadOnlyMemory<byte>? UserData { get; }
}
