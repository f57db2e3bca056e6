using Microsoft.Extensions.Logging;
using TypedKafka.Protocol;
using TypedKafka.Testing;

namespace TypedKafka.Tests.Groups;

public sealed class CoordinatorFailoverTests
{
    private static readonly TopicPartition Orders0 = new("orders", 0);

    [Fact]
    public async Task Heartbeats_answered_NOT_COORDINATOR_rediscover_the_coordinator_without_a_rebalance()
    {
        await using var cluster = await GroupTests.StartClusterAsync();
        cluster.CreateTopic("orders", 4);
        var group = GroupTests.NewGroupId("hb-notcoord");
        var all = GroupTests.Partitions("orders", 4);
        await using var a = new TestMember(GroupTests.Options(cluster, group), "a").Subscribe("orders").StartPolling();
        await GroupTests.AwaitSplitAsync([a], all);
        var generation = a.Coordinator.Generation;
        var discoveries = a.Coordinator.Channel.Discoveries;

        cluster.PushRequestErrors(ApiKey.Heartbeat, ErrorCode.NotCoordinator, ErrorCode.NotCoordinator);
        await GroupTests.AwaitAsync([a], () => a.Coordinator.Channel.Discoveries >= discoveries + 2 && a.IsStable && a.Coordinator.Channel.Coordinator is not null,
            "two rediscoveries after NOT_COORDINATOR heartbeats");
        Assert.True(a.Logger.Contains("a heartbeat was answered NOT_COORDINATOR"));
        Assert.Equal(generation, a.Coordinator.Generation);
        Assert.Equal(all.ToHashSet(), a.Assignment.ToHashSet());
        Assert.Empty(a.Listener.Lost);
    }

    [Fact]
    public async Task When_the_coordinator_moves_members_follow_it_and_keep_their_generation()
    {
        await using var cluster = await GroupTests.StartClusterAsync();
        cluster.CreateTopic("orders", 4);
        var group = GroupTests.NewGroupId("moves");
        var all = GroupTests.Partitions("orders", 4);
        await using var a = new TestMember(GroupTests.Options(cluster, group), "a").Subscribe("orders").StartPolling();
        await using var b = new TestMember(GroupTests.Options(cluster, group), "b").Subscribe("orders").StartPolling();
        await GroupTests.AwaitSplitAsync([a, b], all);
        var generation = a.Coordinator.Generation;
        var old = a.Coordinator.Channel.Coordinator!.NodeId;
        var next = old % 3 + 1;

        cluster.SetCoordinator(group, next);
        await GroupTests.AwaitAsync([a, b], () => a.Coordinator.Channel.Coordinator?.NodeId == next && b.Coordinator.Channel.Coordinator?.NodeId == next,
            $"both members follow the coordinator from broker {old} to broker {next}");
        using var cts = new CancellationTokenSource(GroupTests.Timeout);
        var mine = a.Assignment.First();
        await a.Coordinator.CommitAsync(new Dictionary<TopicPartition, OffsetAndMetadata> { [mine] = new(12) }, cts.Token);
        Assert.Equal(12, (await b.Coordinator.FetchCommittedAsync([mine], cts.Token))[mine]!.Offset);
        Assert.Equal(generation, a.Coordinator.Generation);
        Assert.Equal(generation, b.Coordinator.Generation);
        Assert.True(GroupTests.SplitExactly([a, b], all));
    }

    [Fact]
    public async Task A_commit_made_while_the_coordinator_is_down_completes_once_a_coordinator_is_reachable()
    {
        await using var cluster = await GroupTests.StartClusterAsync();
        cluster.CreateTopic("orders", 4);
        var group = GroupTests.NewGroupId("down");
        var all = GroupTests.Partitions("orders", 4);
        var options = GroupTests.Options(cluster, group);
        options.SessionTimeout = TimeSpan.FromSeconds(6); // the outage below is shorter than a session: the member stays in the group
        await using var a = new TestMember(options, "a").Subscribe("orders").StartPolling();
        await GroupTests.AwaitSplitAsync([a], all);
        var down = a.Coordinator.Channel.Coordinator!.NodeId;

        cluster.SetBrokerDown(down);
        using var cts = new CancellationTokenSource(GroupTests.Timeout);
        var commit = a.Coordinator.CommitAsync(new Dictionary<TopicPartition, OffsetAndMetadata> { [Orders0] = new(31) }, cts.Token);
        await GroupTests.AwaitAsync([a], () => a.Logger.Contains($"Group coordinator broker {down}"), "the member notices that its coordinator is gone");
        Assert.False(commit.IsCompleted, "the commit cannot complete while the coordinator is down");

        // The mock does not move coordinators by itself (a real cluster elects a new one): move it.
        var next = down % 3 + 1;
        cluster.SetCoordinator(group, next);
        await commit;
        await GroupTests.AwaitAsync([a], () => a.Coordinator.Channel.Coordinator?.NodeId == next && GroupTests.SplitExactly([a], all), "membership continues at the new coordinator");
        Assert.Equal(31, (await a.Coordinator.FetchCommittedAsync([Orders0], cts.Token))[Orders0]!.Offset);
        cluster.SetBrokerUp(down);
    }

    [Fact]
    public async Task A_member_that_stops_polling_leaves_after_MaxPollInterval_says_so_and_rejoins_on_the_next_poll()
    {
        await using var cluster = await GroupTests.StartClusterAsync();
        cluster.CreateTopic("orders", 4);
        var group = GroupTests.NewGroupId("slow");
        var all = GroupTests.Partitions("orders", 4);
        var slowOptions = GroupTests.Options(cluster, group);
        slowOptions.MaxPollInterval = TimeSpan.FromMilliseconds(1500);
        await using var a = new TestMember(slowOptions, "a").Subscribe("orders").StartPolling();
        await using var b = new TestMember(GroupTests.Options(cluster, group), "b").Subscribe("orders").StartPolling();
        await GroupTests.AwaitSplitAsync([a, b], all);
        var held = a.Assignment;
        cluster.StartRequestTracking();

        await a.StopPollingAsync(); // the application is stuck processing
        await GroupTests.AwaitAsync([a, b], () => a.Logger.Contains("poll timeout has expired", LogLevel.Warning), "the poll-timeout warning");
        var line = a.Logger.Lines.First(l => l.Text.Contains("poll timeout has expired", StringComparison.Ordinal)).Text;
        Assert.Contains("MaxPollInterval (1500 ms)", line, StringComparison.Ordinal);
        Assert.Contains("is leaving", line, StringComparison.Ordinal);
        await GroupTests.AwaitSplitAsync([b], all); // the others took a's partitions
        Assert.Contains(cluster.TrackedRequests, r => r.ApiKey == ApiKey.LeaveGroup);

        a.StartPolling();
        await GroupTests.AwaitSplitAsync([a, b], all);
        Assert.Equal(held.ToHashSet(), a.Listener.Lost.ToHashSet()); // a's old partitions were lost, not revoked
        Assert.Empty(a.PollErrors);
    }
}
