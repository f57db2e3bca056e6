namespace TypedKafka.Groups.Assignors;

/// <summary>
/// <c>roundrobin</c>: all partitions of all subscribed topics, sorted by topic and partition, are dealt to the
/// members in a circle (static members by group instance id first, then member ids); a member not subscribed to a
/// partition's topic is skipped for that partition and the deal continues after the member that took it.
/// </summary>
/// <remarks>With identical subscriptions the counts differ by at most one; with different subscriptions the result
/// can be unbalanced, exactly as with the Java client.</remarks>
internal sealed class RoundRobinAssignor : IPartitionAssignor
{
    /// <inheritdoc/>
    public string Name => "roundrobin";

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

        var order = AssignorSupport.JavaMemberOrder(members);
        var topicsOf = new HashSet<string>[order.Count];
        var allTopics = new SortedSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < order.Count; i++)
        {
            topicsOf[i] = AssignorSupport.AssignableTopics(members[order[i]], partitionsPerTopic);
            allTopics.UnionWith(topicsOf[i]);
        }

        // Every topic in allTopics has a subscriber, so the search for the next subscribed member terminates.
        int next = 0;
        foreach (string topic in allTopics)
        {
            int partitionCount = partitionsPerTopic[topic];
            for (int p = 0; p < partitionCount; p++)
            {
                while (!topicsOf[next].Contains(topic)) next = (next + 1) % order.Count;
                assignment[order[next]].Add(new TopicPartition(topic, p));
                next = (next + 1) % order.Count;
            }
        }
        return AssignorSupport.Seal(assignment);
    }
}
