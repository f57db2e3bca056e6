namespace TypedKafka.Groups.Assignors;

/// <summary>
/// <c>sticky</c> (KIP-54, eager): a balanced assignment that keeps as many partitions as possible with their
/// previous owners (see <see cref="StickyAssignmentBuilder"/>).
/// </summary>
/// <remarks>
/// Under the eager protocol members revoke everything before joining, so each member reports its last assignment
/// and that assignment's generation in its user data (<see cref="StickyUserData"/>), as Java, librdkafka and
/// kafka-python members do. A member without readable sticky user data is judged by the owned partitions and
/// generation of its subscription instead.
/// </remarks>
internal sealed class StickyAssignor : IPartitionAssignor
{
    /// <inheritdoc/>
    public string Name => "sticky";

    /// <inheritdoc/>
    public bool SupportsCooperative => false;

    /// <inheritdoc/>
    /// <remarks>Null until the member has been assigned once, like the Java client.</remarks>
    public ReadOnlyMemory<byte>? SubscriptionUserData(IReadOnlyCollection<TopicPartition>? lastAssignment, int generationId)
    {
        if (lastAssignment is null) return null;
        return StickyUserData.Encode(lastAssignment, generationId);
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        IReadOnlyDictionary<string, MemberSubscription> members)
    {
        AssignorSupport.Validate(partitionsPerTopic, members);
        var input = new Dictionary<string, StickyMember>(members.Count, StringComparer.Ordinal);
        foreach (var (memberId, subscription) in members)
        {
            input.Add(memberId, subscription.UserData is { Length: > 0 } userData
                    && StickyUserData.TryDecode(userData, out var previous, out int generation)
                ? new StickyMember(subscription.Topics, previous, generation)
                : new StickyMember(subscription.Topics, subscription.OwnedPartitions, subscription.GenerationId));
        }
        return AssignorSupport.Seal(StickyAssignmentBuilder.Build(partitionsPerTopic, input));
    }
}
