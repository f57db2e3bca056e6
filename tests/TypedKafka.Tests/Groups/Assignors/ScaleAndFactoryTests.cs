using TypedKafka.Groups.Assignors;
using static TypedKafka.Tests.Groups.Assignors.AssignorTestKit;

namespace TypedKafka.Tests.Groups.Assignors;

/// <summary>The factory, the protocol choice, inputs every assignor must cope with, and the sticky assignors at scale.</summary>
public sealed class ScaleAndFactoryTests
{
    public static TheoryData<PartitionAssignmentStrategy> Strategies() => new(AllStrategies);

    [Theory]
    [InlineData(PartitionAssignmentStrategy.Range, "range", false)]
    [InlineData(PartitionAssignmentStrategy.RoundRobin, "roundrobin", false)]
    [InlineData(PartitionAssignmentStrategy.Sticky, "sticky", false)]
    [InlineData(PartitionAssignmentStrategy.CooperativeSticky, "cooperative-sticky", true)]
    public void Factory_uses_the_Java_protocol_names(PartitionAssignmentStrategy strategy, string name, bool cooperative)
    {
        var assignor = PartitionAssignors.Create(strategy);
        Assert.Equal(name, assignor.Name);
        Assert.Equal(cooperative, assignor.SupportsCooperative);
    }

    [Fact]
    public void Factory_rejects_undefined_values()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PartitionAssignors.Create((PartitionAssignmentStrategy)42));
    }

    [Fact]
    public void Cooperative_only_when_every_assignor_supports_it()
    {
        var cooperative = PartitionAssignors.Create(PartitionAssignmentStrategy.CooperativeSticky);
        var range = PartitionAssignors.Create(PartitionAssignmentStrategy.Range);
        Assert.Equal(RebalanceProtocol.Cooperative, PartitionAssignors.CommonRebalanceProtocol([cooperative]));
        Assert.Equal(RebalanceProtocol.Eager, PartitionAssignors.CommonRebalanceProtocol([cooperative, range]));
        Assert.Equal(RebalanceProtocol.Eager, PartitionAssignors.CommonRebalanceProtocol([range]));
        Assert.Throws<ArgumentException>(() => PartitionAssignors.CommonRebalanceProtocol([]));
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public void No_members_means_an_empty_assignment(PartitionAssignmentStrategy strategy)
    {
        var result = PartitionAssignors.Create(strategy).Assign(Topics(("t", 3)), new Dictionary<string, MemberSubscription>());
        Assert.Empty(result);
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Topics_with_zero_partitions_or_no_metadata_give_nothing(PartitionAssignmentStrategy strategy)
    {
        var topics = Topics(("empty", 0), ("t", 1));
        var members = Members(("a", ["empty", "missing"]), ("b", ["t", "empty"]));
        var result = PartitionAssignors.Create(strategy).Assign(topics, members);
        AssertValid(topics, members, result);
        Assert.Empty(result["a"]);
        Assert.Equal([Tp("t", 0)], result["b"]);
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Members_subscribing_to_nothing_still_appear(PartitionAssignmentStrategy strategy)
    {
        var topics = Topics(("t", 4));
        var members = Members(("idle", []), ("busy", ["t"]));
        var result = PartitionAssignors.Create(strategy).Assign(topics, members);
        Assert.Empty(result["idle"]);
        Assert.Equal(4, result["busy"].Count);
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Invalid_arguments_are_rejected(PartitionAssignmentStrategy strategy)
    {
        var assignor = PartitionAssignors.Create(strategy);
        Assert.Throws<ArgumentNullException>(() => assignor.Assign(null!, Members(("a", ["t"]))));
        Assert.Throws<ArgumentNullException>(() => assignor.Assign(Topics(("t", 1)), new Dictionary<string, MemberSubscription> { ["a"] = null! }));
        Assert.Throws<ArgumentOutOfRangeException>(() => assignor.Assign(Topics(("t", -3)), Members(("a", ["t"]))));
    }

    [Theory]
    [InlineData(PartitionAssignmentStrategy.Sticky)]
    [InlineData(PartitionAssignmentStrategy.CooperativeSticky)]
    public void Hundred_members_and_a_thousand_partitions(PartitionAssignmentStrategy strategy)
    {
        var assignor = PartitionAssignors.Create(strategy);
        var topics = Enumerable.Range(0, 10).ToDictionary(t => $"topic-{t}", _ => 100, StringComparer.Ordinal);
        var members = Uniform(topics, Enumerable.Range(0, 100).Select(m => $"member-{m:D3}").ToArray());

        var first = assignor.Assign(topics, members);
        AssertValid(topics, members, first);
        Assert.Equal(0, Spread(first));

        // One member joins and another leaves in the same rebalance.
        members.Remove("member-042");
        members["member-new"] = new MemberSubscription(topics.Keys.ToList());
        var second = assignor.Assign(topics, NextRound(assignor, members, first, 1));
        AssertValid(topics, members, second, allowHeldBack: assignor.SupportsCooperative);
        Assert.True(Spread(second) <= 1 || assignor.SupportsCooperative);

        // Unequal subscriptions: every member takes a random half of the topics.
        var random = new Random(7);
        var mixed = members.ToDictionary(
            kv => kv.Key,
            _ => new MemberSubscription(topics.Keys.Where(_ => random.Next(2) == 0).DefaultIfEmpty("topic-0").ToList()),
            StringComparer.Ordinal);
        var third = assignor.Assign(topics, NextRound(assignor, mixed, second, 2));
        AssertValid(topics, mixed, third, allowHeldBack: assignor.SupportsCooperative);
        if (!assignor.SupportsCooperative) Assert.False(HasImprovingChain(mixed, third));
    }
}
