using TypedKafka.Groups.Assignors;
using static TypedKafka.Tests.Groups.Assignors.AssignorTestKit;

namespace TypedKafka.Tests.Groups.Assignors;

/// <summary>The <c>cooperative-sticky</c> assignor: KIP-429's two-round hand-over and generation sources.</summary>
public sealed class CooperativeStickyAssignorTests
{
    private readonly CooperativeStickyAssignor _assignor = new();

    private static MemberSubscription Owning(string[] topics, IReadOnlyList<TopicPartition> owned, int generation) =>
        new(topics) { OwnedPartitions = owned, GenerationId = generation, UserData = StickyUserData.EncodeGeneration(generation) };

    [Fact]
    public void A_joining_member_gets_moved_partitions_only_in_the_follow_up_rebalance()
    {
        var topics = Topics(("t", 6));
        var members = Uniform(topics, "a", "b");
        var first = _assignor.Assign(topics, members);
        Assert.Equal([3, 3], first.Values.Select(l => l.Count));

        // c joins: a and b each give up one partition, which c may not get while a or b still owns it.
        members["c"] = new MemberSubscription(["t"]);
        var second = _assignor.Assign(topics, NextRound(_assignor, members, first, 1));
        AssertValid(topics, members, second, allowHeldBack: true);
        Assert.Empty(second["c"]);
        Assert.Equal([2, 2], new[] { second["a"].Count, second["b"].Count });
        Assert.Subset(first["a"].ToHashSet(), second["a"].ToHashSet());
        Assert.Subset(first["b"].ToHashSet(), second["b"].ToHashSet());

        // a and b revoked them and rejoin: now c gets both, and nothing else moves.
        var third = _assignor.Assign(topics, NextRound(_assignor, members, second, 2));
        AssertValid(topics, members, third);
        Assert.Equal(0, Spread(third));
        Assert.Equal(second["a"], third["a"]);
        Assert.Equal(second["b"], third["b"]);
        Assert.Equal(6, third.Values.Sum(l => l.Count));
    }

    [Fact]
    public void Unowned_partitions_are_assigned_at_once()
    {
        var topics = Topics(("t", 4));
        var members = new Dictionary<string, MemberSubscription>
        {
            ["a"] = Owning(["t"], [Tp("t", 0), Tp("t", 1)], 1),
            ["b"] = Owning(["t"], [], 1),
        };
        var result = _assignor.Assign(topics, members);
        AssertValid(topics, members, result);
        Assert.Equal([Tp("t", 2), Tp("t", 3)], result["b"]);
    }

    [Fact]
    public void A_partition_leaving_its_owner_is_revoked_and_held_back()
    {
        // a owns everything; b joins. Half of a's partitions must move: they leave a's assignment and go nowhere.
        var topics = Topics(("t", 4));
        var members = new Dictionary<string, MemberSubscription>
        {
            ["a"] = Owning(["t"], [Tp("t", 0), Tp("t", 1), Tp("t", 2), Tp("t", 3)], 1),
            ["b"] = Owning(["t"], [], -1),
        };
        var result = _assignor.Assign(topics, members);
        Assert.Equal(2, result["a"].Count);
        Assert.Empty(result["b"]);
    }

    [Fact]
    public void Generation_comes_from_user_data_when_the_subscription_has_none()
    {
        // v1 subscriptions (no generation field) from older Java members: the 4-byte user data decides.
        var topics = Topics(("t", 2));
        var members = new Dictionary<string, MemberSubscription>
        {
            ["older"] = new(["t"]) { OwnedPartitions = [Tp("t", 0), Tp("t", 1)], UserData = I32(6) },
            ["newer"] = new(["t"]) { OwnedPartitions = [Tp("t", 0)], UserData = I32(7) },
        };
        var result = _assignor.Assign(topics, members);
        Assert.Equal([Tp("t", 0)], result["newer"]);
        Assert.Equal([Tp("t", 1)], result["older"]);
    }

    [Fact]
    public void The_subscription_generation_takes_precedence_over_user_data()
    {
        var topics = Topics(("t", 2));
        var members = new Dictionary<string, MemberSubscription>
        {
            ["x"] = new(["t"]) { OwnedPartitions = [Tp("t", 0), Tp("t", 1)], GenerationId = 9, UserData = I32(1) },
            ["y"] = new(["t"]) { OwnedPartitions = [Tp("t", 0)], GenerationId = 8, UserData = I32(100) },
        };
        var result = _assignor.Assign(topics, members);
        Assert.Equal([Tp("t", 0)], result["x"]);
        Assert.Empty(result["y"]);
    }

    [Fact]
    public void A_doubly_claimed_partition_goes_only_to_one_of_its_claimants()
    {
        var topics = Topics(("t", 3));
        var members = new Dictionary<string, MemberSubscription>
        {
            ["a"] = Owning(["t"], [Tp("t", 0)], 4),
            ["b"] = Owning(["t"], [Tp("t", 0)], 4),
            ["c"] = Owning(["t"], [], 4),
        };
        var result = _assignor.Assign(topics, members);
        AssertValid(topics, members, result, allowHeldBack: true);
        Assert.DoesNotContain(Tp("t", 0), result["c"]);
    }

    [Fact]
    public void Under_the_eager_protocol_nothing_is_owned_and_nothing_held_back()
    {
        var topics = Topics(("t", 5), ("u", 3));
        var members = Uniform(topics, "a", "b", "c");
        var result = _assignor.Assign(topics, members);
        AssertValid(topics, members, result);
        Assert.True(Spread(result) <= 1);
    }
}
