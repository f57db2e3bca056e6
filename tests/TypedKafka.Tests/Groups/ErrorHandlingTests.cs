using TypedKafka.Protocol;
using TypedKafka.Testing;

namespace TypedKafka.Tests.Groups;

/// <summary>How the classic membership reacts to each error code a coordinator can answer (injected into the mock).</summary>
public sealed class ErrorHandlingTests
{
    [Fact]
    public async Task JoinGroup_retries_coordinator_errors_until_it_joins()
    {
        await using var cluster = await GroupTests.StartClusterAsync();
        cluster.CreateTopic("orders", 3);
        cluster.PushRequestErrors(ApiKey.JoinGroup, ErrorCode.CoordinatorNotAvailable, ErrorCode.NotCoordinator, ErrorCode.CoordinatorLoadInProgress);
        cluster.PushRequestErrors(ApiKey.SyncGroup, ErrorCode.RebalanceInProgress);
        var group = GroupTests.NewGroupId("join-retry");
        await using var a = new TestMember(GroupTests.Options(cluster, group), "a").Subscribe("orders").StartPolling();
        await GroupTests.AwaitSplitAsync([a], GroupTests.Partitions("orders", 3));
        Assert.Empty(a.PollErrors);
    }

    [Fact]
    public async Task A_heartbeat_answered_REBALANCE_IN_PROGRESS_makes_the_member_rejoin_without_losing_partitions()
    {
        await using var cluster = await GroupTests.StartClusterAsync();
        cluster.CreateTopic("orders", 3);
        var group = GroupTests.NewGroupId("hb-rebalance");
        var all = GroupTests.Partitions("orders", 3);
        await using var a = new TestMember(GroupTests.Options(cluster, group, PartitionAssignmentStrategy.CooperativeSticky), "a").Subscribe("orders").StartPolling();
        await GroupTests.AwaitSplitAsync([a], all);
        var generation = a.Coordinator.Generation;

        cluster.PushRequestErrors(ApiKey.Heartbeat, ErrorCode.RebalanceInProgress);
        await GroupTests.AwaitAsync([a], () => a.Coordinator.Generation > generation && GroupTests.SplitExactly([a], all), "a rejoins into a new generation");
        Assert.Empty(a.Listener.Lost);
        Assert.Empty(a.Listener.Revoked); // cooperative: nothing moved, nothing revoked
    }

    [Theory]
    [InlineData(ErrorCode.UnknownMemberId)]
    [InlineData(ErrorCode.IllegalGeneration)]
    public async Task A_heartbeat_that_says_the_member_is_gone_loses_the_partitions_and_rejoins(ErrorCode error)
    {
        await using var cluster = await GroupTests.StartClusterAsync();
        cluster.CreateTopic("orders", 3);
        var group = GroupTests.NewGroupId("hb-gone");
        var all = GroupTests.Partitions("orders", 3);
        await using var a = new TestMember(GroupTests.Options(cluster, group), "a").Subscribe("orders").StartPolling();
        await GroupTests.AwaitSplitAsync([a], all);

        cluster.PushRequestErrors(ApiKey.Heartbeat, error);
        await GroupTests.AwaitAsync([a], () => a.Listener.Lost.Count() == 3 && GroupTests.SplitExactly([a], all), "a loses its partitions and rejoins");
        Assert.Empty(a.Listener.Revoked); // lost, not revoked: no commit is attempted for them
    }

    [Fact]
    public async Task FENCED_INSTANCE_ID_is_fatal_and_every_later_poll_says_so()
    {
        await using var cluster = await GroupTests.StartClusterAsync();
        cluster.CreateTopic("orders", 2);
        var group = GroupTests.NewGroupId("fenced-static");
        var options = GroupTests.Options(cluster, group);
        options.GroupInstanceId = "instance-7";
        await using var a = new TestMember(options, "a").Subscribe("orders").StartPolling();
        await GroupTests.AwaitSplitAsync([a], GroupTests.Partitions("orders", 2));
        await a.StopPollingAsync();

        cluster.PushRequestErrors(ApiKey.Heartbeat, ErrorCode.FencedInstanceId);
        using var cts = new CancellationTokenSource(GroupTests.Timeout);
        await GroupTests.AwaitAsync([a], async () =>
        {
            try
            {
                await a.Coordinator.PollAsync(TimeSpan.FromMilliseconds(50), cts.Token);
                return false;
            }
            catch (KafkaBrokerException e) when (e.ErrorCode == ErrorCode.FencedInstanceId)
            {
                return true;
            }
        }, "a poll that reports FENCED_INSTANCE_ID");
        var again = await Assert.ThrowsAsync<KafkaBrokerException>(async () => await a.Coordinator.PollAsync(TimeSpan.FromMilliseconds(50), cts.Token));
        Assert.Equal(ErrorCode.FencedInstanceId, again.ErrorCode);
        Assert.Contains("instance-7", again.Message, StringComparison.Ordinal);
    }
}
