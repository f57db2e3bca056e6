namespace TypedKafka.Groups.Assignors;

/// <summary>Argument checks, member ordering and result shaping shared by the assignors.</summary>
internal static class AssignorSupport
{
    /// <summary>Orders partitions by topic (ordinal, as Java's <c>String.compareTo</c>) and then partition.</summary>
    public static readonly Comparison<TopicPartition> PartitionOrder = static (a, b) =>
    {
        int byTopic = string.CompareOrdinal(a.Topic, b.Topic);
        return byTopic != 0 ? byTopic : a.Partition.CompareTo(b.Partition);
    };

    /// <summary>Checks the arguments of <see cref="IPartitionAssignor.Assign"/>.</summary>
    /// <exception cref="ArgumentNullException">An argument or a subscription is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A partition count is negative.</exception>
    public static void Validate(IReadOnlyDictionary<string, int> partitionsPerTopic, IReadOnlyDictionary<string, MemberSubscription> members)
    {
        ArgumentNullException.ThrowIfNull(partitionsPerTopic);
        ArgumentNullException.ThrowIfNull(members);
        foreach (var (topic, count) in partitionsPerTopic)
        {
            if (count < 0) throw new ArgumentOutOfRangeException(nameof(partitionsPerTopic), count, $"Topic '{topic}' has a negative partition count.");
        }
        foreach (var (memberId, subscription) in members)
        {
            if (subscription is null) throw new ArgumentNullException(nameof(members), $"Member '{memberId}' has no subscription.");
        }
    }

    /// <summary>
    /// Member ids in the order Java's range and round-robin assignors use: static members (with a group instance
    /// id) first, ordered by instance id, then dynamic members ordered by member id; all comparisons ordinal.
    /// </summary>
    public static List<string> JavaMemberOrder(IReadOnlyDictionary<string, MemberSubscription> members)
    {
        var ids = new List<string>(members.Keys);
        ids.Sort((a, b) =>
        {
            string? ia = members[a].GroupInstanceId, ib = members[b].GroupInstanceId;
            if (ia is not null && ib is not null)
            {
                int byInstance = string.CompareOrdinal(ia, ib);
                if (byInstance != 0) return byInstance;
            }
            else if (ia is not null)
            {
                return -1;
            }
            else if (ib is not null)
            {
                return 1;
            }
            return string.CompareOrdinal(a, b);
        });
        return ids;
    }

    /// <summary>The distinct topics of <paramref name="subscription"/> that have at least one partition.</summary>
    public static HashSet<string> AssignableTopics(MemberSubscription subscription, IReadOnlyDictionary<string, int> partitionsPerTopic)
    {
        var topics = new HashSet<string>(StringComparer.Ordinal);
        foreach (string topic in subscription.Topics)
        {
            if (topic is not null && partitionsPerTopic.TryGetValue(topic, out int count) && count > 0) topics.Add(topic);
        }
        return topics;
    }

    /// <summary>An empty, writable assignment for every member.</summary>
    public static Dictionary<string, List<TopicPartition>> EmptyAssignment(IReadOnlyDictionary<string, MemberSubscription> members)
    {
        var assignment = new Dictionary<string, List<TopicPartition>>(members.Count, StringComparer.Ordinal);
        foreach (string memberId in members.Keys) assignment.Add(memberId, new List<TopicPartition>());
        return assignment;
    }

    /// <summary>Sorts every member's partitions (<see cref="PartitionOrder"/>) and returns the read-only view.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Seal(Dictionary<string, List<TopicPartition>> assignment)
    {
        var result = new Dictionary<string, IReadOnlyList<TopicPartition>>(assignment.Count, StringComparer.Ordinal);
        foreach (var (memberId, partitions) in assignment)
        {
            partitions.Sort(PartitionOrder);
            result.Add(memberId, partitions);
        }
        return result;
    }
}
