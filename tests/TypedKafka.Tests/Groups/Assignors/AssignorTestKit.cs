using System.Buffers.Binary;
using System.Text;
using TypedKafka.Groups.Assignors;

namespace TypedKafka.Tests.Groups.Assignors;

/// <summary>Builders for assignor inputs, byte builders for hand-written vectors, and the checks every assignor test uses.</summary>
internal static class AssignorTestKit
{
    public static readonly PartitionAssignmentStrategy[] AllStrategies =
    [
        PartitionAssignmentStrategy.Range,
        PartitionAssignmentStrategy.RoundRobin,
        PartitionAssignmentStrategy.Sticky,
        PartitionAssignmentStrategy.CooperativeSticky,
    ];

    public static TopicPartition Tp(string topic, int partition) => new(topic, partition);

    public static Dictionary<string, int> Topics(params (string Topic, int Partitions)[] topics) =>
        topics.ToDictionary(t => t.Topic, t => t.Partitions, StringComparer.Ordinal);

    public static Dictionary<string, MemberSubscription> Members(params (string Id, string[] Topics)[] members) =>
        members.ToDictionary(m => m.Id, m => new MemberSubscription(m.Topics), StringComparer.Ordinal);

    /// <summary>Every member subscribed to every topic of <paramref name="partitionsPerTopic"/>.</summary>
    public static Dictionary<string, MemberSubscription> Uniform(IReadOnlyDictionary<string, int> partitionsPerTopic, params string[] memberIds) =>
        memberIds.ToDictionary(id => id, _ => new MemberSubscription(partitionsPerTopic.Keys.ToList()), StringComparer.Ordinal);

    /// <summary>
    /// The next round's subscriptions: every member reports <paramref name="previous"/>'s partitions as owned with
    /// <paramref name="generation"/>, the way a cooperative member sends them and an eager <c>sticky</c> member
    /// encodes them in its user data.
    /// </summary>
    public static Dictionary<string, MemberSubscription> NextRound(
        IPartitionAssignor assignor,
        IReadOnlyDictionary<string, MemberSubscription> members,
        IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> previous,
        int generation)
    {
        var next = new Dictionary<string, MemberSubscription>(StringComparer.Ordinal);
        foreach (var (id, subscription) in members)
        {
            var owned = previous.TryGetValue(id, out var list) ? list : [];
            next.Add(id, WithOwnership(assignor, subscription, owned, generation));
        }
        return next;
    }

    /// <summary>A copy of <paramref name="subscription"/> that reports <paramref name="owned"/> in the way
    /// <paramref name="assignor"/>'s members do.</summary>
    public static MemberSubscription WithOwnership(IPartitionAssignor assignor, MemberSubscription subscription, IReadOnlyList<TopicPartition> owned, int generation) =>
        assignor.SupportsCooperative
            ? new MemberSubscription(subscription.Topics)
            {
                OwnedPartitions = owned,
                GenerationId = generation,
                GroupInstanceId = subscription.GroupInstanceId,
                UserData = assignor.SubscriptionUserData(owned, generation),
            }
            : new MemberSubscription(subscription.Topics)
            {
                GroupInstanceId = subscription.GroupInstanceId,
                UserData = assignor.SubscriptionUserData(owned, generation),
            };

    /// <summary>
    /// Checks that every member is present, every partition goes to a member subscribed to its topic, no partition
    /// is assigned twice, and (unless <paramref name="allowHeldBack"/>) every partition of a subscribed topic is assigned.
    /// </summary>
    public static void AssertValid(
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        IReadOnlyDictionary<string, MemberSubscription> members,
        IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> assignment,
        bool allowHeldBack = false)
    {
        Assert.Equal(members.Keys.OrderBy(k => k, StringComparer.Ordinal), assignment.Keys.OrderBy(k => k, StringComparer.Ordinal));
        var seen = new HashSet<TopicPartition>();
        foreach (var (memberId, partitions) in assignment)
        {
            var topics = members[memberId].Topics.ToHashSet(StringComparer.Ordinal);
            foreach (var tp in partitions)
            {
                Assert.True(topics.Contains(tp.Topic), $"{memberId} got {tp} without subscribing to {tp.Topic}");
                Assert.True(partitionsPerTopic.TryGetValue(tp.Topic, out int n) && tp.Partition >= 0 && tp.Partition < n, $"{tp} does not exist");
                Assert.True(seen.Add(tp), $"{tp} is assigned twice");
            }
            Assert.Equal(partitions.OrderBy(tp => tp.Topic, StringComparer.Ordinal).ThenBy(tp => tp.Partition), partitions);
        }
        if (allowHeldBack) return;
        var subscribed = members.Values.SelectMany(m => m.Topics).ToHashSet(StringComparer.Ordinal);
        foreach (var (topic, n) in partitionsPerTopic)
        {
            if (!subscribed.Contains(topic)) continue;
            for (int p = 0; p < n; p++) Assert.True(seen.Contains(Tp(topic, p)), $"{topic}-{p} is not assigned");
        }
    }

    public static int Spread(IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> assignment) =>
        assignment.Count == 0 ? 0 : assignment.Values.Max(l => l.Count) - assignment.Values.Min(l => l.Count);

    /// <summary>
    /// True when some member could pass load to a member holding at least two partitions fewer, directly or along a
    /// chain where each member hands over one partition of a topic the next member subscribes to. An independent
    /// check of the sticky assignors' balance.
    /// </summary>
    public static bool HasImprovingChain(
        IReadOnlyDictionary<string, MemberSubscription> members,
        IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> assignment)
    {
        var subscribersOf = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (id, subscription) in members)
        {
            foreach (string topic in subscription.Topics.Distinct())
            {
                if (!subscribersOf.TryGetValue(topic, out var list)) subscribersOf[topic] = list = [];
                list.Add(id);
            }
        }
        foreach (var (source, held) in assignment)
        {
            var visited = new HashSet<string>(StringComparer.Ordinal) { source };
            var queue = new Queue<string>([source]);
            while (queue.Count > 0)
            {
                string member = queue.Dequeue();
                foreach (string topic in assignment[member].Select(tp => tp.Topic).Distinct())
                {
                    foreach (string next in subscribersOf[topic])
                    {
                        if (!visited.Add(next)) continue;
                        if (assignment[next].Count <= held.Count - 2) return true;
                        queue.Enqueue(next);
                    }
                }
            }
        }
        return false;
    }

    /// <summary>How many partitions owned in <paramref name="before"/> have a different owner in <paramref name="after"/>.</summary>
    public static int Moved(
        IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> before,
        IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> after)
    {
        var ownerAfter = after.SelectMany(kv => kv.Value.Select(tp => (tp, kv.Key))).ToDictionary(x => x.tp, x => x.Key);
        int moved = 0;
        foreach (var (member, partitions) in before)
        {
            foreach (var tp in partitions)
            {
                if (ownerAfter.TryGetValue(tp, out var owner) && owner != member) moved++;
            }
        }
        return moved;
    }

    /// <summary>
    /// The fewest partitions that must change owner to balance a group where everyone subscribes to everything:
    /// each member keeps at most its quota (total / members, and one more for total % members of them).
    /// </summary>
    public static int MinimumMovesWhenUniform(IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> previous, IEnumerable<string> memberIds, int totalPartitions)
    {
        var owned = memberIds.Select(id => previous.TryGetValue(id, out var l) ? l.Count : 0).ToList();
        int quota = totalPartitions / owned.Count, extra = totalPartitions % owned.Count;
        int kept = owned.Sum(o => Math.Min(o, quota)) + Math.Min(extra, owned.Count(o => o > quota));
        return owned.Sum() - kept;
    }

    /// <summary>A deterministic assignment comparison: member → "t-0,t-1".</summary>
    public static Dictionary<string, string> Render(IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> assignment) =>
        assignment.ToDictionary(kv => kv.Key, kv => string.Join(",", kv.Value));

    // ---- bytes, written out field by field from the schemas ----

    public static byte[] Of(params object[] parts)
    {
        var bytes = new List<byte>();
        foreach (var part in parts)
        {
            switch (part)
            {
                case byte[] array: bytes.AddRange(array); break;
                case byte b: bytes.Add(b); break;
                case int i: bytes.Add(checked((byte)i)); break;
                default: throw new ArgumentException($"Unsupported part {part}");
            }
        }
        return bytes.ToArray();
    }

    public static byte[] I16(short value)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteInt16BigEndian(b, value);
        return b;
    }

    public static byte[] I32(int value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, value);
        return b;
    }

    /// <summary>Array length (INT32).</summary>
    public static byte[] Arr(int count) => I32(count);

    /// <summary>STRING: INT16 length, UTF-8.</summary>
    public static byte[] Str(string value) => Of(I16((short)Encoding.UTF8.GetByteCount(value)), Encoding.UTF8.GetBytes(value));

    /// <summary>NULLABLE_STRING null.</summary>
    public static byte[] NullStr => I16(-1);

    /// <summary>NULLABLE_BYTES: INT32 length (-1 for null), then the bytes.</summary>
    public static byte[] Blob(byte[]? value) => value is null ? I32(-1) : Of(I32(value.Length), value);
}
