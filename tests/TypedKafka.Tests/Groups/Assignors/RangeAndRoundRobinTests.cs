using TypedKafka.Groups.Assignors;
using static TypedKafka.Tests.Groups.Assignors.AssignorTestKit;

namespace TypedKafka.Tests.Groups.Assignors;

/// <summary>Exact expectations for <c>range</c> and <c>roundrobin</c>, including the Java client's documented examples.</summary>
public sealed class RangeAndRoundRobinTests
{
    private static string[] Show(IReadOnlyList<TopicPartition> partitions) => partitions.Select(tp => tp.ToString()).ToArray();

    [Fact]
    public void Range_matches_the_documented_example()
    {
        // Two members, t0 and t1 with 3 partitions each: C0 [t0p0, t0p1, t1p0, t1p1], C1 [t0p2, t1p2].
        var topics = Topics(("t0", 3), ("t1", 3));
        var result = new RangeAssignor().Assign(topics, Uniform(topics, "C0", "C1"));
        Assert.Equal(["t0-0", "t0-1", "t1-0", "t1-1"], Show(result["C0"]));
        Assert.Equal(["t0-2", "t1-2"], Show(result["C1"]));
    }

    [Fact]
    public void Range_divides_each_topic_among_its_own_subscribers()
    {
        var topics = Topics(("a", 5), ("b", 2), ("c", 4));
        var members = Members(("m1", ["a", "b"]), ("m2", ["a", "c"]), ("m3", ["a", "b", "c"]));
        var result = new RangeAssignor().Assign(topics, members);
        AssertValid(topics, members, result);
        // a: 5 over m1,m2,m3 → 2,2,1; b: 2 over m1,m3 → 1,1; c: 4 over m2,m3 → 2,2.
        Assert.Equal(["a-0", "a-1", "b-0"], Show(result["m1"]));
        Assert.Equal(["a-2", "a-3", "c-0", "c-1"], Show(result["m2"]));
        Assert.Equal(["a-4", "b-1", "c-2", "c-3"], Show(result["m3"]));
    }

    [Fact]
    public void Range_orders_static_members_by_instance_id_before_dynamic_members()
    {
        var topics = Topics(("t", 4));
        var members = new Dictionary<string, MemberSubscription>
        {
            ["a-dynamic"] = new(["t"]),
            ["b-static"] = new(["t"]) { GroupInstanceId = "z" },
            ["c-static"] = new(["t"]) { GroupInstanceId = "y" },
            ["0-dynamic"] = new(["t"]),
        };
        var result = new RangeAssignor().Assign(topics, members);
        Assert.Equal(["t-0"], Show(result["c-static"]));
        Assert.Equal(["t-1"], Show(result["b-static"]));
        Assert.Equal(["t-2"], Show(result["0-dynamic"]));
        Assert.Equal(["t-3"], Show(result["a-dynamic"]));
    }

    [Fact]
    public void Range_with_more_members_than_partitions_leaves_the_last_members_empty()
    {
        var topics = Topics(("t", 2));
        var result = new RangeAssignor().Assign(topics, Uniform(topics, "a", "b", "c"));
        Assert.Equal(["t-0"], Show(result["a"]));
        Assert.Equal(["t-1"], Show(result["b"]));
        Assert.Empty(result["c"]);
    }

    [Fact]
    public void Member_ids_compare_ordinally_like_Java_strings()
    {
        // Java's String.compareTo orders 'B' (66) before 'a' (97); a culture-aware sort would not.
        var topics = Topics(("t", 2));
        var result = new RangeAssignor().Assign(topics, Uniform(topics, "a", "B"));
        Assert.Equal(["t-0"], Show(result["B"]));
        Assert.Equal(["t-1"], Show(result["a"]));
    }

    [Fact]
    public void RoundRobin_matches_the_documented_example()
    {
        // Two members, t0 and t1 with 3 partitions each: C0 [t0p0, t0p2, t1p1], C1 [t0p1, t1p0, t1p2].
        var topics = Topics(("t0", 3), ("t1", 3));
        var result = new RoundRobinAssignor().Assign(topics, Uniform(topics, "C0", "C1"));
        Assert.Equal(["t0-0", "t0-2", "t1-1"], Show(result["C0"]));
        Assert.Equal(["t0-1", "t1-0", "t1-2"], Show(result["C1"]));
    }

    [Fact]
    public void RoundRobin_matches_the_documented_example_with_different_subscriptions()
    {
        // C0 subscribes t0; C1 t0, t1; C2 t0, t1, t2; t0..t2 have 1, 2, 3 partitions:
        // C0 [t0p0], C1 [t1p0], C2 [t1p1, t2p0, t2p1, t2p2].
        var topics = Topics(("t0", 1), ("t1", 2), ("t2", 3));
        var members = Members(("C0", ["t0"]), ("C1", ["t0", "t1"]), ("C2", ["t0", "t1", "t2"]));
        var result = new RoundRobinAssignor().Assign(topics, members);
        AssertValid(topics, members, result);
        Assert.Equal(["t0-0"], Show(result["C0"]));
        Assert.Equal(["t1-0"], Show(result["C1"]));
        Assert.Equal(["t1-1", "t2-0", "t2-1", "t2-2"], Show(result["C2"]));
    }

    [Fact]
    public void RoundRobin_orders_static_members_first()
    {
        var topics = Topics(("t", 3));
        var members = new Dictionary<string, MemberSubscription>
        {
            ["m1"] = new(["t"]),
            ["m2"] = new(["t"]) { GroupInstanceId = "only-static" },
            ["m0"] = new(["t"]),
        };
        var result = new RoundRobinAssignor().Assign(topics, members);
        Assert.Equal(["t-0"], Show(result["m2"]));
        Assert.Equal(["t-1"], Show(result["m0"]));
        Assert.Equal(["t-2"], Show(result["m1"]));
    }

    [Fact]
    public void RoundRobin_deals_across_topics_in_topic_order()
    {
        var topics = Topics(("b", 2), ("a", 3));
        var result = new RoundRobinAssignor().Assign(topics, Uniform(topics, "x", "y", "z"));
        Assert.Equal(["a-0", "b-0"], Show(result["x"]));
        Assert.Equal(["a-1", "b-1"], Show(result["y"]));
        Assert.Equal(["a-2"], Show(result["z"]));
    }

    [Fact]
    public void Topics_without_metadata_are_skipped_and_negative_counts_rejected()
    {
        var members = Members(("m", ["known", "unknown"]));
        foreach (var assignor in new IPartitionAssignor[] { new RangeAssignor(), new RoundRobinAssignor() })
        {
            var result = assignor.Assign(Topics(("known", 1)), members);
            Assert.Equal(["known-0"], Show(result["m"]));
            Assert.Throws<ArgumentOutOfRangeException>(() => assignor.Assign(Topics(("known", -1)), members));
            Assert.Throws<ArgumentNullException>(() => assignor.Assign(Topics(("known", 1)), null!));
        }
    }
}
