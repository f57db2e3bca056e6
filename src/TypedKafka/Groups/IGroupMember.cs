namespace TypedKafka.Groups;

/// <summary>
/// What the group coordinator needs from the consumer it serves. Every member is called on the caller's poll (or
/// close), never concurrently with another call on the same consumer.
/// </summary>
internal interface IGroupMember
{
    /// <summary>The partitions this member owns now.</summary>
    IReadOnlySet<TopicPartition> Assignment { get; }

    /// <summary>The offsets to commit for auto-commit and before revocation: for every owned partition whose position
    /// is known, the next offset to read and the leader epoch of the last record consumed.</summary>
    IReadOnlyDictionary<TopicPartition, OffsetAndMetadata> ConsumedOffsets();

    /// <summary>Adds partitions to the assignment, with no position yet (the consumer initialises them from committed
    /// offsets or <see cref="ConsumerOptions.AutoOffsetReset"/> on its next fetch).</summary>
    void AddPartitions(IReadOnlyCollection<TopicPartition> partitions);

    /// <summary>Removes partitions from the assignment and drops their buffered records.</summary>
    void RemovePartitions(IReadOnlyCollection<TopicPartition> partitions);

    /// <summary>The topics the cluster view must cover (subscribed topics; all topics for a pattern).</summary>
    void SetSubscribedTopics(IReadOnlyCollection<string> topics, bool allTopics);
}
