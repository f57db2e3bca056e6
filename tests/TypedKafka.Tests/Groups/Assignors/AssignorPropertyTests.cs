using TypedKafka.Groups.Assignors;
using static TypedKafka.Tests.Groups.Assignors.AssignorTestKit;

namespace TypedKafka.Tests.Groups.Assignors;

/// <summary>
/// Randomized checks with fixed seeds over many group shapes: validity, balance, determinism, and for the sticky
/// assignors stickiness over several rebalances with members leaving and joining and partitions being added.
/// </summary>
public sealed class AssignorPropertyTests
{
    private const int Seeds = 150;

    private sealed record Shape(Dictionary<string, int> Topics, Dictionary<string, MemberSubscription> Members, bool Uniform);

    private static Shape RandomShape(Random random)
    {
        var topics = new Dictionary<string, int>(StringComparer.Ordinal);
        int topicCount = random.Next(1, 6);
        for (int t = 0; t < topicCount; t++) topics[$"t{t}"] = random.Next(4) == 0 ? 0 : random.Next(1, 13);
        bool uniform = random.Next(3) == 0;
        var members = new Dictionary<string, MemberSubscription>(StringComparer.Ordinal);
        int memberCount = random.Next(1, 9);
        while (members.Count < memberCount) AddMember(random, topics, members, uniform);
        return new Shape(topics, members, uniform);
    }

    private static void AddMember(Random random, Dictionary<string, int> topics, Dictionary<string, MemberSubscription> members, bool uniform)
    {
        string id;
        do id = $"m{random.Next(10_000)}"; while (members.ContainsKey(id));
        List<string> subscribed = uniform
            ? topics.Keys.ToList()
            : topics.Keys.Where(_ => random.Next(2) == 0).DefaultIfEmpty(topics.Keys.First()).ToList();
        if (!uniform && random.Next(5) == 0) subscribed.Add("no-such-topic");
        members[id] = new MemberSubscription(subscribed) { GroupInstanceId = random.Next(4) == 0 ? $"static-{id}" : null };
    }

    private static Dictionary<string, MemberSubscription> Reversed(Dictionary<string, MemberSubscription> members) =>
        members.Reverse().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

    private static int TotalPartitions(Shape shape) =>
        shape.Topics.Where(kv => shape.Members.Values.Any(m => m.Topics.Contains(kv.Key))).Sum(kv => kv.Value);

    [Fact]
    public void Every_assignor_is_valid_deterministic_and_balanced_where_it_promises()
    {
        for (int seed = 0; seed < Seeds; seed++)
        {
            var shape = RandomShape(new Random(seed));
            foreach (var strategy in AllStrategies)
            {
                var assignor = PartitionAssignors.Create(strategy);
                var result = assignor.Assign(shape.Topics, shape.Members);
                AssertValid(shape.Topics, shape.Members, result);
                Assert.Equal(Render(result), Render(assignor.Assign(shape.Topics, Reversed(shape.Members))));

                switch (strategy)
                {
                    case PartitionAssignmentStrategy.Range:
                        // Range balances each topic among its subscribers.
                        foreach (string topic in shape.Topics.Keys)
                        {
                            var counts = shape.Members.Where(m => m.Value.Topics.Contains(topic))
                                .Select(m => result[m.Key].Count(tp => tp.Topic == topic)).ToList();
                            if (counts.Count > 0) Assert.True(counts.Max() - counts.Min() <= 1, $"seed {seed}: range is unbalanced on {topic}");
                        }
                        break;
                    case PartitionAssignmentStrategy.RoundRobin:
                        if (shape.Uniform) Assert.True(Spread(result) <= 1, $"seed {seed}: roundrobin spread {Spread(result)}");
                        break;
                    default:
                        if (shape.Uniform) Assert.True(Spread(result) <= 1, $"seed {seed}: {strategy} spread {Spread(result)}");
                        Assert.False(HasImprovingChain(shape.Members, result), $"seed {seed}: {strategy} could be better balanced");
                        break;
                }
            }
        }
    }

    [Fact]
    public void Sticky_moves_no_more_than_balance_requires_over_rebalances()
    {
        var assignor = new StickyAssignor();
        int totalMoved = 0;
        for (int seed = 0; seed < Seeds; seed++)
        {
            var random = new Random(seed);
            var shape = RandomShape(random);
            var previous = assignor.Assign(shape.Topics, shape.Members);
            for (int generation = 1; generation <= 4; generation++)
            {
                Churn(random, shape);
                var subscriptions = NextRound(assignor, shape.Members, previous, generation);
                var result = assignor.Assign(shape.Topics, subscriptions);
                string context = $"seed {seed} generation {generation}";
                AssertValid(shape.Topics, shape.Members, result);
                Assert.False(HasImprovingChain(shape.Members, result), context);

                var survivors = previous.Where(kv => shape.Members.ContainsKey(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
                if (shape.Uniform)
                {
                    Assert.True(Spread(result) <= 1, context);
                    Assert.Equal(MinimumMovesWhenUniform(survivors, shape.Members.Keys, TotalPartitions(shape)), Moved(survivors, result));
                }
                totalMoved += Moved(survivors, result);

                // A balanced assignment fed back unchanged is kept as it is.
                var again = assignor.Assign(shape.Topics, NextRound(assignor, shape.Members, result, generation + 1));
                Assert.Equal(Render(result), Render(again));
                previous = result;
            }
        }
        Assert.True(totalMoved > 100, $"the shapes moved only {totalMoved} partitions");
    }

    [Fact]
    public void Cooperative_sticky_never_hands_over_an_owned_partition_and_converges()
    {
        var assignor = new CooperativeStickyAssignor();
        int generation = 0, totalRevoked = 0;
        for (int seed = 0; seed < Seeds; seed++)
        {
            var random = new Random(seed);
            var shape = RandomShape(random);
            var previous = assignor.Assign(shape.Topics, shape.Members);
            for (int round = 0; round < 4; round++)
            {
                Churn(random, shape);
                string context = $"seed {seed} round {round}";
                var survivors = previous.Where(kv => shape.Members.ContainsKey(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);

                var result = CheckedRound(assignor, shape, previous, ++generation, context);
                if (shape.Uniform)
                {
                    // Every partition a surviving member loses is revoked now; no more than balance requires.
                    Assert.Equal(MinimumMovesWhenUniform(survivors, shape.Members.Keys, TotalPartitions(shape)), Revoked(survivors, result));
                }
                totalRevoked += Revoked(survivors, result);

                // Without further changes, the group settles within two more rebalances and then stays put.
                for (int followUp = 0; followUp < 2; followUp++) result = CheckedRound(assignor, shape, result, ++generation, context);
                AssertValid(shape.Topics, shape.Members, result);
                Assert.False(HasImprovingChain(shape.Members, result), context);
                Assert.Equal(Render(result), Render(CheckedRound(assignor, shape, result, ++generation, context)));
                previous = result;
            }
        }
        Assert.True(totalRevoked > 100, $"the shapes revoked only {totalRevoked} partitions");
    }

    /// <summary>One cooperative rebalance from <paramref name="owned"/>, checking that no partition goes to a member
    /// that does not own it while another member still does.</summary>
    private static IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> CheckedRound(
        IPartitionAssignor assignor,
        Shape shape,
        IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> owned,
        int generation,
        string context)
    {
        var result = assignor.Assign(shape.Topics, NextRound(assignor, shape.Members, owned, generation));
        AssertValid(shape.Topics, shape.Members, result, allowHeldBack: true);
        var ownerBefore = owned.Where(kv => shape.Members.ContainsKey(kv.Key))
            .SelectMany(kv => kv.Value.Select(tp => (tp, kv.Key))).ToDictionary(x => x.tp, x => x.Key);
        foreach (var (member, partitions) in result)
        {
            foreach (var tp in partitions)
            {
                Assert.True(!ownerBefore.TryGetValue(tp, out var owner) || owner == member, $"{context}: {tp} went to {member} while {owner} owns it");
            }
        }
        return result;
    }

    private static int Revoked(
        IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> before,
        IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> after) =>
        before.Sum(kv => kv.Value.Count(tp => !after[kv.Key].Contains(tp)));

    /// <summary>Members leave and join and topics grow, keeping the shape's uniformity.</summary>
    private static void Churn(Random random, Shape shape)
    {
        if (shape.Members.Count > 1 && random.Next(2) == 0) shape.Members.Remove(shape.Members.Keys.ElementAt(random.Next(shape.Members.Count)));
        if (random.Next(2) == 0) AddMember(random, shape.Topics, shape.Members, shape.Uniform);
        if (random.Next(4) == 0)
        {
            string topic = shape.Topics.Keys.ElementAt(random.Next(shape.Topics.Count));
            shape.Topics[topic] += random.Next(1, 4);
        }
    }
}
