using TypedKafka.Groups.Assignors;
using static TypedKafka.Tests.Groups.Assignors.AssignorTestKit;

namespace TypedKafka.Tests.Groups.Assignors;

/// <summary>The eager <c>sticky</c> assignor: balance, stickiness through user data, and generation handling.</summary>
public sealed class StickyAssignorTests
{
    private readonly StickyAssignor _assignor = new();

    private static MemberSubscription Previously(string[] topics, IReadOnlyList<TopicPartition> owned, int generation) =>
        new(topics) { UserData = StickyUserData.Encode(owned, generation) };

    [Fact]
    public void Removing_a_member_moves_only_its_partitions()
    {
        // KIP-54's example: C0..C2 over t0..t3 with 2 partitions each; when C1 leaves, C0 and C2 keep theirs.
        var topics = Topics(("t0", 2), ("t1", 2), ("t2", 2), ("t3", 2));
        var members = Uniform(topics, "C0", "C1", "C2");
        var first = _assignor.Assign(topics, members);
        AssertValid(topics, members, first);
        Assert.Equal([3, 3, 2], first.Values.Select(l => l.Count).OrderDescending());

        members.Remove("C1");
        var second = _assignor.Assign(topics, NextRound(_assignor, members, first, 1));
        AssertValid(topics, members, second);
        Assert.Equal(0, Spread(second));
        Assert.Superset(first["C0"].ToHashSet(), second["C0"].ToHashSet());
        Assert.Superset(first["C2"].ToHashSet(), second["C2"].ToHashSet());
    }

    [Fact]
    public void Documented_example_with_different_subscriptions()
    {
        // C0 subscribes t0; C1 t0, t1; C2 t0, t1, t2 (1, 2 and 3 partitions):
        // sticky gives C0 [t0p0], C1 [t1p0, t1p1], C2 [t2p0, t2p1, t2p2]; when C0 leaves, t0p0 goes to C1.
        var topics = Topics(("t0", 1), ("t1", 2), ("t2", 3));
        var members = Members(("C0", ["t0"]), ("C1", ["t0", "t1"]), ("C2", ["t0", "t1", "t2"]));
        var first = _assignor.Assign(topics, members);
        Assert.Equal("t0-0", string.Join(",", first["C0"]));
        Assert.Equal("t1-0,t1-1", string.Join(",", first["C1"]));
        Assert.Equal("t2-0,t2-1,t2-2", string.Join(",", first["C2"]));

        members.Remove("C0");
        var second = _assignor.Assign(topics, NextRound(_assignor, members, first, 1));
        Assert.Equal("t0-0,t1-0,t1-1", string.Join(",", second["C1"]));
        Assert.Equal("t2-0,t2-1,t2-2", string.Join(",", second["C2"]));
    }

    [Fact]
    public void Adding_a_member_moves_the_fewest_partitions()
    {
        var topics = Topics(("t", 12));
        var members = Uniform(topics, "a", "b", "c");
        var first = _assignor.Assign(topics, members);
        members["d"] = new MemberSubscription(["t"]);
        var second = _assignor.Assign(topics, NextRound(_assignor, members, first, 1));
        AssertValid(topics, members, second);
        Assert.Equal(0, Spread(second));
        Assert.Equal(3, Moved(first, second));
    }

    [Fact]
    public void Drains_the_most_loaded_members_first()
    {
        // Two members own six partitions each, two members join: exactly six partitions move, three from each.
        var topics = Topics(("t", 12));
        var members = new Dictionary<string, MemberSubscription>
        {
            ["a"] = Previously(["t"], Enumerable.Range(0, 6).Select(p => Tp("t", p)).ToList(), 1),
            ["b"] = Previously(["t"], Enumerable.Range(6, 6).Select(p => Tp("t", p)).ToList(), 1),
            ["c"] = new(["t"]),
            ["d"] = new(["t"]),
        };
        var result = _assignor.Assign(topics, members);
        Assert.Equal(0, Spread(result));
        Assert.Equal(3, result["a"].Count(tp => tp.Partition < 6));
        Assert.Equal(3, result["b"].Count(tp => tp.Partition >= 6));
    }

    [Fact]
    public void The_higher_generation_wins_a_contested_partition()
    {
        var topics = Topics(("t", 2));
        var members = new Dictionary<string, MemberSubscription>
        {
            ["stale"] = Previously(["t"], [Tp("t", 0), Tp("t", 1)], 4),
            ["current"] = Previously(["t"], [Tp("t", 0)], 5),
        };
        var result = _assignor.Assign(topics, members);
        Assert.Equal([Tp("t", 0)], result["current"]);
        Assert.Equal([Tp("t", 1)], result["stale"]);
    }

    [Fact]
    public void A_partition_claimed_twice_in_one_generation_belongs_to_neither_claim()
    {
        // Both claim t-0 and t-1 in generation 3; a and b also claim one uncontested partition each.
        var topics = Topics(("t", 4));
        var members = new Dictionary<string, MemberSubscription>
        {
            ["a"] = Previously(["t"], [Tp("t", 0), Tp("t", 1), Tp("t", 2)], 3),
            ["b"] = Previously(["t"], [Tp("t", 0), Tp("t", 1), Tp("t", 3)], 3),
        };
        var result = _assignor.Assign(topics, members);
        AssertValid(topics, members, result);
        Assert.Equal(0, Spread(result));
        Assert.Contains(Tp("t", 2), result["a"]);
        Assert.Contains(Tp("t", 3), result["b"]);
    }

    [Fact]
    public void Claims_on_unsubscribed_topics_and_missing_partitions_are_ignored()
    {
        var topics = Topics(("t", 2), ("gone", 0), ("other", 2));
        var members = new Dictionary<string, MemberSubscription>
        {
            ["a"] = Previously(["t"], [Tp("other", 0), Tp("t", 5), Tp("gone", 0), Tp("t", -1)], 1),
            ["b"] = new(["t", "other"]),
        };
        var result = _assignor.Assign(topics, members);
        AssertValid(topics, members, result);
        Assert.DoesNotContain(result["a"], tp => tp.Topic != "t");
    }

    [Fact]
    public void Without_user_data_the_owned_partitions_of_the_subscription_are_used()
    {
        var topics = Topics(("t", 4));
        var members = new Dictionary<string, MemberSubscription>
        {
            ["a"] = new(["t"]) { OwnedPartitions = [Tp("t", 2), Tp("t", 3)], GenerationId = 2 },
            ["b"] = new(["t"]) { UserData = new byte[] { 0xFF } },
        };
        var result = _assignor.Assign(topics, members);
        Assert.Equal([Tp("t", 2), Tp("t", 3)], result["a"]);
        Assert.Equal([Tp("t", 0), Tp("t", 1)], result["b"]);
    }

    [Fact]
    public void Sticky_user_data_v0_without_generation_is_honoured()
    {
        var topics = Topics(("t", 2));
        byte[] v0 = Of(Arr(1), Str("t"), Arr(1), I32(1));
        var members = new Dictionary<string, MemberSubscription>
        {
            ["a"] = new(["t"]) { UserData = v0 },
            ["b"] = new(["t"]),
        };
        Assert.Equal([Tp("t", 1)], _assignor.Assign(topics, members)["a"]);
    }

    [Fact]
    public void Unequal_subscriptions_are_balanced_along_chains()
    {
        // a subscribes x; b x, y; c y. c owns all of y and b all of x: balance needs y to flow c→b and x b→a.
        var topics = Topics(("x", 3), ("y", 6));
        var members = new Dictionary<string, MemberSubscription>
        {
            ["a"] = new(["x"]),
            ["b"] = Previously(["x", "y"], [Tp("x", 0), Tp("x", 1), Tp("x", 2)], 1),
            ["c"] = Previously(["y"], Enumerable.Range(0, 6).Select(p => Tp("y", p)).ToList(), 1),
        };
        var result = _assignor.Assign(topics, members);
        AssertValid(topics, members, result);
        Assert.Equal([3, 3, 3], result.Values.Select(l => l.Count));
        Assert.False(HasImprovingChain(members, result));
    }
}
