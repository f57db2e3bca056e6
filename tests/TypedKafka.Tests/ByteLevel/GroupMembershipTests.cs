using TypedKafka.Groups.Assignors;
using TypedKafka.Protocol;
using TypedKafka.Testing;
using static TypedKafka.Tests.ByteLevel.ByteLevelKit;
using static TypedKafka.Tests.ByteLevel.FakeRecords;

namespace TypedKafka.Tests.ByteLevel;

/// <summary>Classic group membership against a scripted coordinator, for what librdkafka's mock never does: the KIP-394
/// member-id round trip (MEMBER_ID_REQUIRED) and KIP-345 static membership (GroupInstanceId on Join/Sync/Heartbeat, no
/// LeaveGroup on close, FENCED_INSTANCE_ID fatal).</summary>
public sealed class GroupMembershipTests
{
    private const string Group = "g";
    private const string AssignedId = ScriptedGroup.AssignedId;

    private static KafkaConsumer<string?, string?> Subscribed(FakeKafkaBroker broker, string? instanceId = null)
    {
        var consumer = new KafkaConsumer<string?, string?>(Options(broker, o =>
        {
            o.GroupId = Group;
            o.GroupInstanceId = instanceId;
            o.SessionTimeout = TimeSpan.FromSeconds(6);
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
        }));
        consumer.Subscribe([Topic]);
        return consumer;
    }

    private static FakeKafkaBroker BrokerWithRecords(int count)
    {
        var broker = new FakeKafkaBroker();
        broker.Cluster.AddTopic(Topic);
        broker.Cluster.Log(Topic).Append(Batch(0, count));
        return broker;
    }

    private static async Task WaitForHeartbeatsAsync(FakeKafkaBroker broker, int count) =>
        await Eventually.TrueAsync(() => broker.RequestsOf(ApiKey.Heartbeat).Count >= count, Patience, $"{count} heartbeats");

    [Theory]
    [InlineData(4)] // the first JoinGroup version with MEMBER_ID_REQUIRED (KIP-394)
    [InlineData(7)] // flexible versions, ProtocolType/ProtocolName in the answer
    public async Task A_new_member_joins_again_with_the_member_id_the_coordinator_required_then_syncs_and_heartbeats_with_it(short joinVersion)
    {
        await using var broker = BrokerWithRecords(3);
        var group = new ScriptedGroup(broker, joinMax: joinVersion);
        var consumer = Subscribed(broker);
        try
        {
            var records = await ConsumeAsync(consumer, 3);

            AssertOffsets(records, Range(0, 3));
            Assert.Equal([P0], consumer.Assignment);
            await WaitForHeartbeatsAsync(broker, 2);
        }
        finally
        {
            await consumer.CloseAsync();
        }

        var joins = broker.RequestsOf(ApiKey.JoinGroup);
        Assert.Equal(2, joins.Count);
        Assert.All(joins, j => Assert.Equal(joinVersion, j.Version));
        var first = (JoinGroupRequest)joins[0].Body!;
        var second = (JoinGroupRequest)joins[1].Body!;
        Assert.Equal("", first.MemberId);
        Assert.Equal(AssignedId, second.MemberId);
        Assert.Null(first.GroupInstanceId);
        Assert.Null(second.GroupInstanceId);
        Assert.Equal(Group, second.GroupId);
        Assert.Equal(6_000, second.SessionTimeoutMs);
        Assert.Equal(ConsumerProtocol.ProtocolType, second.ProtocolType);
        Assert.Equal(first.Protocols.Select(p => p.Name), second.Protocols.Select(p => p.Name));
        Assert.Equal([Topic], ConsumerProtocol.DecodeSubscription(second.Protocols[0].Metadata).Topics);

        // The leader (this member) synced with the id and generation the coordinator gave, assigning itself the partition.
        var sync = (SyncGroupRequest)broker.RequestsOf(ApiKey.SyncGroup).Single().Body!;
        Assert.Equal(AssignedId, sync.MemberId);
        Assert.Equal(1, sync.GenerationId);
        Assert.Null(sync.GroupInstanceId);
        var own = Assert.Single(sync.Assignments);
        Assert.Equal(AssignedId, own.MemberId);
        Assert.Equal([P0], ConsumerProtocol.DecodeAssignment(own.Assignment).Partitions);

        var heartbeats = broker.RequestsOf(ApiKey.Heartbeat).Select(r => (HeartbeatRequest)r.Body!).ToList();
        Assert.True(heartbeats.Count >= 2);
        Assert.All(heartbeats, h => Assert.Equal((Group, AssignedId, 1, (string?)null), (h.GroupId, h.MemberId, h.GenerationId, h.GroupInstanceId)));

        // A dynamic member leaves on close, with the id it was given.
        var leave = broker.RequestsOf(ApiKey.LeaveGroup).Single();
        var leaveBody = (LeaveGroupRequest)leave.Body!;
        Assert.Equal(4, leave.Version);
        var leaving = Assert.Single(leaveBody.Members);
        Assert.Equal((AssignedId, (string?)null), (leaving.MemberId, leaving.GroupInstanceId));
        Assert.Equal(2, group.JoinCount);
    }

    [Fact]
    public async Task A_static_member_sends_its_instance_id_on_join_sync_and_heartbeat_and_sends_no_LeaveGroup_on_close()
    {
        await using var broker = BrokerWithRecords(3);
        _ = new ScriptedGroup(broker, joinMax: 7);
        var consumer = Subscribed(broker, instanceId: "i-1");
        try
        {
            AssertOffsets(await ConsumeAsync(consumer, 3), Range(0, 3));
            await WaitForHeartbeatsAsync(broker, 2);
        }
        finally
        {
            await consumer.CloseAsync();
        }

        var joins = broker.RequestsOf(ApiKey.JoinGroup);
        Assert.Equal(2, joins.Count);
        Assert.Equal([(short)7, (short)7], joins.Select(j => j.Version));
        Assert.Equal([("", "i-1"), (AssignedId, "i-1")],
            joins.Select(j => (JoinGroupRequest)j.Body!).Select(j => (j.MemberId, j.GroupInstanceId)));

        var sync = broker.RequestsOf(ApiKey.SyncGroup).Single();
        Assert.Equal(5, sync.Version);
        var syncBody = (SyncGroupRequest)sync.Body!;
        Assert.Equal((AssignedId, 1, (string?)"i-1"), (syncBody.MemberId, syncBody.GenerationId, syncBody.GroupInstanceId));
        Assert.Equal(ConsumerProtocol.ProtocolType, syncBody.ProtocolType);

        var heartbeats = broker.RequestsOf(ApiKey.Heartbeat);
        Assert.All(heartbeats, h => Assert.Equal(4, h.Version));
        Assert.All(heartbeats.Select(h => (HeartbeatRequest)h.Body!),
            h => Assert.Equal((AssignedId, 1, (string?)"i-1"), (h.MemberId, h.GenerationId, h.GroupInstanceId)));

        // KIP-345: a static member keeps its place across restarts; it does not leave on close.
        Assert.Empty(broker.RequestsOf(ApiKey.LeaveGroup));
    }

    [Fact]
    public async Task FENCED_INSTANCE_ID_on_a_heartbeat_is_fatal_and_every_later_poll_throws_it()
    {
        await using var broker = BrokerWithRecords(3);
        var group = new ScriptedGroup(broker, joinMax: 7);
        var consumer = Subscribed(broker, instanceId: "i-1");
        try
        {
            AssertOffsets(await ConsumeAsync(consumer, 3), Range(0, 3));
            await WaitForHeartbeatsAsync(broker, 1);
            group.HeartbeatError = ErrorCode.FencedInstanceId; // another instance with "i-1" joined

            var (_, error) = await ConsumeUntilErrorAsync(consumer);

            var fenced = Assert.IsType<KafkaBrokerException>(error);
            Assert.Equal(ErrorCode.FencedInstanceId, fenced.ErrorCode);
            Assert.Contains("i-1", fenced.Message, StringComparison.Ordinal);
            for (var i = 0; i < 3; i++)
            {
                var again = await Assert.ThrowsAsync<KafkaBrokerException>(async () => await consumer.PollAsync(TimeSpan.FromMilliseconds(50)));
                Assert.Equal(ErrorCode.FencedInstanceId, again.ErrorCode);
            }
            Assert.Contains(broker.RequestsOf(ApiKey.Heartbeat), h => ((HeartbeatRequest)h.Body!).GroupInstanceId == "i-1");
        }
        finally
        {
            await consumer.CloseAsync();
        }
        Assert.Empty(broker.RequestsOf(ApiKey.LeaveGroup));
    }

    [Fact]
    public async Task A_static_member_refuses_a_coordinator_without_JoinGroup_v5()
    {
        await using var broker = BrokerWithRecords(1);
        _ = new ScriptedGroup(broker, joinMax: 4);
        await using var consumer = Subscribed(broker, instanceId: "i-1");

        var (_, error) = await ConsumeUntilErrorAsync(consumer);

        Assert.IsType<UnsupportedVersionException>(error);
        Assert.Contains("i-1", error.Message, StringComparison.Ordinal);
        Assert.Empty(broker.RequestsOf(ApiKey.JoinGroup)); // refused before anything was sent
    }
}
