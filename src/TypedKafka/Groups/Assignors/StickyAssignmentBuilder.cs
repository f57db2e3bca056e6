namespace TypedKafka.Groups.Assignors;

/// <summary>What the sticky assignment needs to know about one member.</summary>
/// <param name="Topics">The subscribed topics.</param>
/// <param name="Claims">The partitions the member says it owned.</param>
/// <param name="Generation">The generation of those claims (<see cref="MemberSubscription.NoGeneration"/> when unknown).</param>
internal readonly record struct StickyMember(IReadOnlyCollection<string> Topics, IReadOnlyList<TopicPartition> Claims, int Generation);

/// <summary>
/// The assignment shared by <c>sticky</c> and <c>cooperative-sticky</c>: as balanced as the subscriptions allow, and
/// keeping as many partitions as possible with their previous owners.
/// </summary>
/// <remarks>
/// <para>Previous ownership: a member's claim counts only for an existing partition of a topic it still
/// subscribes to. When several members claim a partition, the claim with the highest generation wins; when the
/// highest generation is claimed twice, neither claim counts (the partition is treated as unowned).</para>
/// <para>Steps: (1) every member keeps its valid claims; (2) each unowned partition goes to the least loaded
/// member subscribed to its topic, topics with fewer subscribers first; (3) partitions are moved from more loaded
/// to less loaded members until no member can pass load to a member holding at least two partitions fewer,
/// directly or along a chain of members where each hands one partition of a topic the next one subscribes to.
/// Each move starts at the most loaded member, takes the shortest chain to the least loaded member it can reach
/// and hands over partitions a member did not own before where it can, so that previously owned partitions move
/// only when balance demands it (with identical subscriptions, exactly as few as balance demands).</para>
/// <para>The end state has no such chain, which makes it balanced in the strongest sense available with unequal
/// subscriptions; with identical subscriptions the partition counts differ by at most one.</para>
/// <para>Costs are about O(P log M) for steps 1 and 2 and, per moved partition in step 3, one breadth-first search
/// over members and topics (plus one per member found unable to shed load), so 100 members and 1000 partitions
/// take milliseconds.</para>
/// </remarks>
internal sealed class StickyAssignmentBuilder
{
    private readonly string[] _memberIds;
    private readonly string[] _topics;
    private readonly int[] _topicStart;
    private readonly int[] _partitionTopic;
    private readonly int[][] _topicMembers;
    private readonly int[][] _memberTopics;
    private readonly int[] _previousOwner;
    private readonly int[] _count;
    private readonly Dictionary<int, Holding>[] _holdings;

    private StickyAssignmentBuilder(IReadOnlyDictionary<string, int> partitionsPerTopic, IReadOnlyDictionary<string, StickyMember> members)
    {
        _memberIds = members.Keys.ToArray();
        Array.Sort(_memberIds, StringComparer.Ordinal);
        int memberCount = _memberIds.Length;

        // Topics that can be assigned: subscribed by someone and with at least one partition.
        var topicSet = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var member in members.Values)
        {
            foreach (string topic in member.Topics)
            {
                if (topic is not null && partitionsPerTopic.TryGetValue(topic, out int n) && n > 0) topicSet.Add(topic);
            }
        }
        _topics = topicSet.ToArray();
        var topicIndex = new Dictionary<string, int>(_topics.Length, StringComparer.Ordinal);
        for (int t = 0; t < _topics.Length; t++) topicIndex.Add(_topics[t], t);

        _topicStart = new int[_topics.Length + 1];
        for (int t = 0; t < _topics.Length; t++) _topicStart[t + 1] = _topicStart[t] + partitionsPerTopic[_topics[t]];
        int partitionCount = _topicStart[_topics.Length];
        _partitionTopic = new int[partitionCount];
        for (int t = 0; t < _topics.Length; t++) Array.Fill(_partitionTopic, t, _topicStart[t], _topicStart[t + 1] - _topicStart[t]);

        _memberTopics = new int[memberCount][];
        var topicMembers = new List<int>[_topics.Length];
        for (int t = 0; t < _topics.Length; t++) topicMembers[t] = new List<int>();
        for (int m = 0; m < memberCount; m++)
        {
            var subscribed = new SortedSet<int>();
            foreach (string topic in members[_memberIds[m]].Topics)
            {
                if (topic is not null && topicIndex.TryGetValue(topic, out int t)) subscribed.Add(t);
            }
            _memberTopics[m] = subscribed.ToArray();
            foreach (int t in _memberTopics[m]) topicMembers[t].Add(m);
        }
        _topicMembers = Array.ConvertAll(topicMembers, list => list.ToArray());

        _previousOwner = ResolvePreviousOwners(members, topicIndex, partitionCount);
        _count = new int[memberCount];
        _holdings = new Dictionary<int, Holding>[memberCount];
        for (int m = 0; m < memberCount; m++) _holdings[m] = new Dictionary<int, Holding>();
    }

    /// <summary>Computes the sticky assignment; every member id of <paramref name="members"/> is in the result.</summary>
    public static Dictionary<string, List<TopicPartition>> Build(
        IReadOnlyDictionary<string, int> partitionsPerTopic,
        IReadOnlyDictionary<string, StickyMember> members)
    {
        var builder = new StickyAssignmentBuilder(partitionsPerTopic, members);
        builder.KeepPreviousOwners();
        builder.AssignUnowned();
        builder.Balance();
        return builder.Result();
    }

    private int[] ResolvePreviousOwners(IReadOnlyDictionary<string, StickyMember> members, Dictionary<string, int> topicIndex, int partitionCount)
    {
        var owner = new int[partitionCount];
        var bestGeneration = new int[partitionCount];
        var contested = new bool[partitionCount];
        Array.Fill(owner, -1);
        Array.Fill(bestGeneration, int.MinValue);
        var seen = new HashSet<int>();
        for (int m = 0; m < _memberIds.Length; m++)
        {
            var member = members[_memberIds[m]];
            int generation = Math.Max(member.Generation, MemberSubscription.NoGeneration);
            seen.Clear();
            foreach (var claim in member.Claims)
            {
                if (claim.Topic is null || !topicIndex.TryGetValue(claim.Topic, out int t)) continue;
                if (claim.Partition < 0 || claim.Partition >= _topicStart[t + 1] - _topicStart[t]) continue;
                if (Array.BinarySearch(_memberTopics[m], t) < 0) continue;
                int g = _topicStart[t] + claim.Partition;
                if (!seen.Add(g)) continue;
                if (generation > bestGeneration[g])
                {
                    bestGeneration[g] = generation;
                    owner[g] = m;
                    contested[g] = false;
                }
                else if (generation == bestGeneration[g])
                {
                    contested[g] = true;
                }
            }
        }
        for (int g = 0; g < partitionCount; g++)
        {
            if (contested[g]) owner[g] = -1;
        }
        return owner;
    }

    private void KeepPreviousOwners()
    {
        for (int g = 0; g < _previousOwner.Length; g++)
        {
            if (_previousOwner[g] >= 0) Take(_previousOwner[g], g);
        }
    }

    private void AssignUnowned()
    {
        var owned = new bool[_previousOwner.Length];
        for (int g = 0; g < owned.Length; g++) owned[g] = _previousOwner[g] >= 0;

        // Topics with the fewest candidate members first: they have the least freedom.
        var topicOrder = Enumerable.Range(0, _topics.Length).OrderBy(t => _topicMembers[t].Length).ThenBy(t => t);
        var leastLoaded = new PriorityQueue<int, (int Count, int Member)>();
        foreach (int t in topicOrder)
        {
            leastLoaded.Clear();
            for (int g = _topicStart[t]; g < _topicStart[t + 1]; g++)
            {
                if (owned[g]) continue;
                if (leastLoaded.Count == 0)
                {
                    foreach (int m in _topicMembers[t]) leastLoaded.Enqueue(m, (_count[m], m));
                }
                int member = leastLoaded.Dequeue();
                Take(member, g);
                leastLoaded.Enqueue(member, (_count[member], member));
            }
        }
    }

    /// <summary>
    /// Shifts load until no member can pass a partition, directly or along a chain, to a member holding at least two
    /// partitions fewer. The source is always the most loaded member that still has such a chain: draining the
    /// most loaded member first means a member never gives away a partition it owned before and later receives
    /// another, so with identical subscriptions no more previously owned partitions move than balance requires.
    /// </summary>
    private void Balance()
    {
        int memberCount = _memberIds.Length;
        var search = new ChainSearch(memberCount, _topics.Length);
        var blocked = new bool[memberCount];
        while (true)
        {
            int minimum = int.MaxValue, source = -1;
            for (int m = 0; m < memberCount; m++)
            {
                minimum = Math.Min(minimum, _count[m]);
                if (!blocked[m] && (source < 0 || _count[m] > _count[source])) source = m;
            }
            if (source < 0 || _count[source] < minimum + 2) return;
            // A shift changes counts and holdings, which can open chains for members found blocked before.
            if (TryShiftFrom(source, minimum, search)) Array.Clear(blocked);
            else blocked[source] = true;
        }
    }

    /// <summary>Finds the shortest chain from <paramref name="source"/> to the least loaded member it can reach
    /// that holds at least two partitions fewer, and moves one partition along every link of it.</summary>
    private bool TryShiftFrom(int source, int minimum, ChainSearch search)
    {
        int limit = _count[source] - 2;
        search.Start(source);
        int best = -1;
        while (best < 0 || _count[best] > minimum)
        {
            if (!search.TryDequeue(out int member)) break;
            foreach (int t in _memberTopics[member])
            {
                if (search.TopicSeen(t) || !_holdings[member].TryGetValue(t, out var holding) || holding.Count == 0) continue;
                search.ReachTopic(t, member);
                foreach (int candidate in _topicMembers[t])
                {
                    if (!search.TryReachMember(candidate, t)) continue;
                    if (_count[candidate] <= limit && (best < 0 || _count[candidate] < _count[best])) best = candidate;
                }
            }
        }
        if (best < 0) return false;

        for (int receiver = best; receiver != source;)
        {
            int t = search.TopicBefore(receiver);
            int giver = search.MemberBefore(t);
            Take(receiver, Release(giver, t));
            receiver = giver;
        }
        return true;
    }

    private void Take(int member, int partition)
    {
        int t = _partitionTopic[partition];
        if (!_holdings[member].TryGetValue(t, out var holding)) _holdings[member].Add(t, holding = new Holding());
        (_previousOwner[partition] == member ? holding.Kept : holding.Received).Add(partition);
        _count[member]++;
    }

    /// <summary>Removes one partition of topic <paramref name="t"/> from <paramref name="member"/>, preferring one it
    /// received in this assignment over one it owned before.</summary>
    private int Release(int member, int t)
    {
        var holding = _holdings[member][t];
        var list = holding.Received.Count > 0 ? holding.Received : holding.Kept;
        int partition = list[^1];
        list.RemoveAt(list.Count - 1);
        _count[member]--;
        return partition;
    }

    private Dictionary<string, List<TopicPartition>> Result()
    {
        var result = new Dictionary<string, List<TopicPartition>>(_memberIds.Length, StringComparer.Ordinal);
        for (int m = 0; m < _memberIds.Length; m++)
        {
            var partitions = new List<TopicPartition>(_count[m]);
            foreach (var (t, holding) in _holdings[m])
            {
                foreach (int g in holding.Kept) partitions.Add(new TopicPartition(_topics[t], g - _topicStart[t]));
                foreach (int g in holding.Received) partitions.Add(new TopicPartition(_topics[t], g - _topicStart[t]));
            }
            result.Add(_memberIds[m], partitions);
        }
        return result;
    }

    /// <summary>The partitions of one topic held by one member, split by whether the member owned them before.</summary>
    private sealed class Holding
    {
        public List<int> Kept { get; } = new();

        public List<int> Received { get; } = new();

        public int Count => Kept.Count + Received.Count;
    }

    /// <summary>
    /// Breadth-first search state over the graph member → topic it holds a partition of → member subscribed to
    /// that topic. Visit marks are stamped with a search number so nothing is cleared between searches.
    /// </summary>
    private sealed class ChainSearch
    {
        private readonly int[] _memberStamp;
        private readonly int[] _topicStamp;
        private readonly int[] _topicBefore;
        private readonly int[] _memberBefore;
        private readonly int[] _queue;
        private int _stamp;
        private int _head;
        private int _tail;

        public ChainSearch(int memberCount, int topicCount)
        {
            _memberStamp = new int[memberCount];
            _topicStamp = new int[topicCount];
            _topicBefore = new int[memberCount];
            _memberBefore = new int[topicCount];
            _queue = new int[memberCount];
        }

        public void Start(int source)
        {
            _stamp++;
            _head = 0;
            _tail = 0;
            _memberStamp[source] = _stamp;
            _queue[_tail++] = source;
        }

        public bool TryDequeue(out int member)
        {
            member = _head < _tail ? _queue[_head++] : -1;
            return member >= 0;
        }

        public bool TopicSeen(int topic) => _topicStamp[topic] == _stamp;

        public void ReachTopic(int topic, int fromMember)
        {
            _topicStamp[topic] = _stamp;
            _memberBefore[topic] = fromMember;
        }

        public bool TryReachMember(int member, int viaTopic)
        {
            if (_memberStamp[member] == _stamp) return false;
            _memberStamp[member] = _stamp;
            _topicBefore[member] = viaTopic;
            _queue[_tail++] = member;
            return true;
        }

        /// <summary>The topic through which <paramref name="member"/> was reached.</summary>
        public int TopicBefore(int member) => _topicBefore[member];

        /// <summary>The member through which <paramref name="topic"/> was reached.</summary>
        public int MemberBefore(int topic) => _memberBefore[topic];
    }
}
