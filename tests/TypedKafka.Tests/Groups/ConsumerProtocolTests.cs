using Microsoft.Extensions.Logging;
using TypedKafka.Groups;
using TypedKafka.Protocol;
using TypedKafka.Testing;

namespace TypedKafka.Tests.Groups;

/// <summary>KIP-848 (GroupProtocol.Consumer) against the mock's ConsumerGroupHeartbeat v1. The mock assigns with a
/// simple per-topic range of its own (not a broker assignor) and follows the protocol's revoke-before-assign rule.</summary>
public sealed class ConsumerProtocolTests
{
    private static async Task<KafkaTestCluster> StartAsync()
    {
        var cluster = await GroupTests.StartClusterAsync();
        cluster.SetConsumerGroupHeartbeatInterval(TimeSpan.FromMilliseconds(200));
        cluster.SetConsumerGroupSessionTimeout(TimeSpan.FromSeconds(3));
        return cluster;
    }

    private static ConsumerOptions Options(KafkaTestCluster cluster, string group)
    {
        var options = GroupTests.Options(cluster, group);
        options.GroupProtocol = GroupProtocol.Consumer;
        // The classic-only settings keep their defaults (GroupOptionsValidation refuses others).
        options.SessionTimeout = TimeSpan.FromSeconds(10);
        options.HeartbeatInterval = TimeSpan.FromSeconds(3);
        options.PartitionAssignmentStrategy = [PartitionAssignmentStrategy.Range, PartitionAssignmentStrategy.RoundRobin];
        return options;
    }

    [Fact]
    public async Task Members_share_partitions_through_server_side_assignment_and_take_over_when_one_leaves()
    {
        await using var cluster = await StartAsync();
        cluster.CreateTopic("orders", 6);
        cluster.StartRequestTracking();
        var group = GroupTests.NewGroupId("kip848");
        var all = GroupTests.Partitions("orders", 6);
        await using var a = new TestMember(Options(cluster, group), "a").Subscribe("orders").StartPolling();
        await GroupTests.AwaitSplitAsync([a], all);
        Assert.True(a.Coordinator.Generation > 0, "a member epoch above 0");
        Assert.Equal(22, a.Coordinator.MemberId.Length); // KIP-1082: the member chose its own UUID id

        await using var b = new TestMember(Options(cluster, group), "b").Subscribe("orders").StartPolling();
        await GroupTests.AwaitSplitAsync([a, b], all);
        Assert.Equal(3, a.Assignment.Count);
        // a only lost what moved to b (incremental: revoke first, then b receives them).
        Assert.Equal(a.Listener.Revoked.ToHashSet(), all.Except(a.Assignment).ToHashSet());
        Assert.Empty(a.Listener.Lost);

        await b.CloseAsync();
        await GroupTests.AwaitSplitAsync([a], all);
        var tracked = cluster.TrackedRequests;
        Assert.Contains(tracked, r => r.ApiKey == ApiKey.ConsumerGroupHeartbeat);
        Assert.DoesNotContain(tracked, r => r.ApiKey is ApiKey.JoinGroup or ApiKey.SyncGroup or ApiKey.Heartbeat);
        Assert.Empty(a.PollErrors);
        Assert.Empty(b.PollErrors);
    }

    [Fact]
    public async Task A_fenced_member_reports_its_partitions_lost_and_rejoins_with_epoch_zero()
    {
        await using var cluster = await StartAsync();
        cluster.CreateTopic("orders", 4);
        var group = GroupTests.NewGroupId("fenced");
        var all = GroupTests.Partitions("orders", 4);
        await using var a = new TestMember(Options(cluster, group), "a").Subscribe("orders").StartPolling();
        await GroupTests.AwaitSplitAsync([a], all);

        cluster.PushRequestErrors(ApiKey.ConsumerGroupHeartbeat, ErrorCode.FencedMemberEpoch);
        await GroupTests.AwaitAsync([a], () => a.Listener.Lost.Count() == 4 && GroupTests.SplitExactly([a], all), "a is fenced, loses its partitions and gets them back");
        Assert.True(a.Logger.Contains("was fenced", LogLevel.Warning));
        Assert.True(a.Coordinator.Generation > 0);
    }

    [Fact]
    public async Task Commits_carry_the_member_epoch()
    {
        await using var cluster = await StartAsync();
        cluster.CreateTopic("orders", 2);
        var group = GroupTests.NewGroupId("epoch-commit");
        await using var a = new TestMember(Options(cluster, group), "a").Subscribe("orders").StartPolling();
        await GroupTests.AwaitSplitAsync([a], GroupTests.Partitions("orders", 2));
        using var cts = new CancellationTokenSource(GroupTests.Timeout);
        var tp = new TopicPartition("orders", 1);
        // The mock checks the epoch of a consumer group's commit (STALE_MEMBER_EPOCH otherwise).
        await a.Coordinator.CommitAsync(new Dictionary<TopicPartition, OffsetAndMetadata> { [tp] = new(17, "kip848") }, cts.Token);
        var committed = await a.Coordinator.FetchCommittedAsync([tp], cts.Token);
        Assert.Equal(17, committed[tp]!.Offset);
        Assert.Equal("kip848", committed[tp]!.Metadata);
    }

    [Fact]
    public async Task MaxPollInterval_makes_a_KIP848_member_leave_and_the_next_poll_rejoins()
    {
        await using var cluster = await StartAsync();
        cluster.CreateTopic("orders", 2);
        var group = GroupTests.NewGroupId("kip848-slow");
        var options = Options(cluster, group);
        options.MaxPollInterval = TimeSpan.FromMilliseconds(1000);
        await using var a = new TestMember(options, "a").Subscribe("orders").StartPolling();
        var all = GroupTests.Partitions("orders", 2);
        await GroupTests.AwaitSplitAsync([a], all);

        await a.StopPollingAsync();
        await GroupTests.AwaitAsync([a], () => a.Logger.Contains("MaxPollInterval (1000 ms)", LogLevel.Warning), "the poll-timeout warning");
        a.StartPolling();
        await GroupTests.AwaitAsync([a], () => a.Listener.Lost.Count() == 2 && GroupTests.SplitExactly([a], all), "a rejoins");
    }

    [Fact]
    public void Classic_only_settings_are_refused_with_GroupProtocol_Consumer()
    {
        var options = new ConsumerOptions { GroupId = "g", GroupProtocol = GroupProtocol.Consumer };
        GroupOptionsValidation.Validate(options); // the defaults are fine

        options.PartitionAssignmentStrategy = [PartitionAssignmentStrategy.CooperativeSticky];
        var e = Assert.Throws<ArgumentException>(() => GroupOptionsValidation.Validate(options));
        Assert.Equal(nameof(ConsumerOptions.PartitionAssignmentStrategy), e.ParamName);
        Assert.Contains("KIP-848", e.Message, StringComparison.Ordinal);

        options = new ConsumerOptions { GroupId = "g", GroupProtocol = GroupProtocol.Consumer, SessionTimeout = TimeSpan.FromSeconds(30) };
        Assert.Equal(nameof(ConsumerOptions.SessionTimeout), Assert.Throws<ArgumentException>(() => GroupOptionsValidation.Validate(options)).ParamName);

        options = new ConsumerOptions { GroupId = "g", GroupProtocol = GroupProtocol.Consumer, HeartbeatInterval = TimeSpan.FromSeconds(1) };
        Assert.Equal(nameof(ConsumerOptions.HeartbeatInterval), Assert.Throws<ArgumentException>(() => GroupOptionsValidation.Validate(options)).ParamName);

        // The classic protocol accepts all of them.
        GroupOptionsValidation.Validate(new ConsumerOptions
        {
            GroupId = "g",
            SessionTimeout = TimeSpan.FromSeconds(30),
            HeartbeatInterval = TimeSpan.FromSeconds(1),
            PartitionAssignmentStrategy = [PartitionAssignmentStrategy.CooperativeSticky],
        });
    }
}
