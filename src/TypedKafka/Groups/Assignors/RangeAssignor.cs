namespace TypedKafka.Groups.Assignors;

/// <summary>
/// <c>range</c>: per topic, the partitions in numeric order are cut into consecutive ranges, one per member
/// subscribed to that topic, in member order (static members by group instance id first, then member ids); when the
/// division leaves a remainder, the first members get one partition more.
/// </summary>
/// <remarks>Members with identical subscriptions get the same ranges of co-partitioned topics, which is what joins
/// of co-partitioned topics rely on. Rack-aware placement (KIP-881) needs partition replica racks, which the
/// assignor is not given, so it is never applied.</remarks>
internal sealed class RangeAssignor : IPartitionAssignor
{
    /// <inheritdoc/>
    public string Name => "range";

    /// <inheritdoc/>
    public bool SupportsCooperative => false;

    /// <inheritdoc/>
    public ReadOnlyMemory<byte>? SubscriptionUserData(IReadOnlyCollection<TopicPartition>? lastAssignment, int generationId) => null;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        IReadOnlyDictionary<string, MemberSubscription> members)
    {
        AssignorSupport.Validate(partitionsPerTopic, members);
        var assignment = AssignorSupport.EmptyAssignment(members);

        // Members per topic, each list in member order because members are visited in that order.
        var membersPerTopic = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string memberId in AssignorSupport.JavaMemberOrder(members))
        {
            foreach (string topic in AssignorSupport.AssignableTopics(members[memberId], partitionsPerTopic))
            {
                if (!membersPerTopic.TryGetValue(topic, out var list)) membersPerTopic.Add(topic, list = new List<string>());
                list.Add(memberId);
            }
        }

        foreach (var (topic, subscribers) in membersPerTopic)
        {
            int partitionCount = partitionsPerTopic[topic];
            int perMember = partitionCount / subscribers.Count;
            int withExtra = partitionCount % subscribers.Count;
            for (int i = 0; i < subscribers.Count; i++)
            {
                int start = perMember * i + Math.Min(i, withExtra);
                int length = perMember + (i < withExtra ? 1 : 0);
                var target = assignment[subscribers[i]];
                for (int p = start; p < start + length; p++) target.Add(new TopicPartition(topic, p));
            }
        }
        return AssignorSupport.Seal(assignment);
    }
}
