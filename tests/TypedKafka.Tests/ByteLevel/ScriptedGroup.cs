using TypedKafka.Groups.Assignors;
using TypedKafka.Protocol;
using static TypedKafka.Tests.ByteLevel.ByteLevelKit;

namespace TypedKafka.Tests.ByteLevel;

/// <summary>Answers the group APIs as a one-member group coordinator would: FindCoordinator (this broker, at its <see cref="FakeKafkaBroker.AdvertisedPort"/>),
/// JoinGroup (MEMBER_ID_REQUIRED with <see cref="AssignedId"/> for an empty member id, then generation 1 with the
/// member as leader), SyncGroup (partition 0 of the topic), Heartbeat (<see cref="HeartbeatError"/>), LeaveGroup,
/// OffsetFetch (nothing committed) and OffsetCommit (accepted).</summary>
internal sealed class ScriptedGroup
{
    public const string AssignedId = "m-1";

    private readonly FakeKafkaBroker _broker;
    private int _joins;

    public ScriptedGroup(FakeKafkaBroker broker, short joinMax)
    {
        _broker = broker;
        broker.ApiVersions[ApiKey.FindCoordinator] = (0, 3);
        broker.ApiVersions[ApiKey.JoinGroup] = (0, joinMax);
        broker.ApiVersions[ApiKey.SyncGroup] = (0, 5);
        broker.ApiVersions[ApiKey.Heartbeat] = (0, 4);
        broker.ApiVersions[ApiKey.LeaveGroup] = (0, 4);
        broker.ApiVersions[ApiKey.OffsetFetch] = (0, 7);
        broker.ApiVersions[ApiKey.OffsetCommit] = (0, 8);
        broker.Intercept = Answer;
    }

    public int JoinCount => Volatile.Read(ref _joins);

    public volatile ErrorCode HeartbeatError;

    private Reply? Answer(ReceivedRequest r) => r.Api switch
    {
        ApiKey.FindCoordinator => Reply.With(new FindCoordinatorResponse { NodeId = _broker.NodeId, Host = "127.0.0.1", Port = _broker.AdvertisedPort }),
        ApiKey.JoinGroup => Join(r),
        ApiKey.SyncGroup => Reply.With(new SyncGroupResponse
        {
            ProtocolType = ConsumerProtocol.ProtocolType,
            ProtocolName = ((SyncGroupRequest)r.Body!).ProtocolName,
            Assignment = ConsumerProtocol.EncodeAssignment([P0]),
        }),
        ApiKey.Heartbeat => Reply.With(new HeartbeatResponse { ErrorCode = (short)HeartbeatError }),
        ApiKey.LeaveGroup => Reply.With(new LeaveGroupResponse
        {
            Members = [.. ((LeaveGroupRequest)r.Body!).Members.Select(m => new LeaveGroupResponse.MemberResponse { MemberId = m.MemberId, GroupInstanceId = m.GroupInstanceId })],
        }),
        ApiKey.OffsetFetch => Reply.With(new OffsetFetchResponse
        {
            Topics = [.. (((OffsetFetchRequest)r.Body!).Topics ?? []).Select(t => new OffsetFetchResponse.OffsetFetchResponseTopic
            {
                Name = t.Name,
                Partitions = [.. t.PartitionIndexes.Select(p => new OffsetFetchResponse.OffsetFetchResponsePartition
                {
                    PartitionIndex = p,
                    CommittedOffset = -1,
                    CommittedLeaderEpoch = -1,
                    Metadata = "",
                })],
            })],
        }),
        ApiKey.OffsetCommit => Reply.With(new OffsetCommitResponse
        {
            Topics = [.. ((OffsetCommitRequest)r.Body!).Topics.Select(t => new OffsetCommitResponse.OffsetCommitResponseTopic
            {
                Name = t.Name,
                Partitions = [.. t.Partitions.Select(p => new OffsetCommitResponse.OffsetCommitResponsePartition { PartitionIndex = p.PartitionIndex })],
            })],
        }),
        _ => null,
    };

    private Reply Join(ReceivedRequest r)
    {
        Interlocked.Increment(ref _joins);
        var request = (JoinGroupRequest)r.Body!;
        if (request.MemberId.Length == 0)
        {
            // KIP-394: a new member is given an id and must come back with it.
            return Reply.With(new JoinGroupResponse
            {
                ErrorCode = (short)ErrorCode.MemberIdRequired,
                GenerationId = -1,
                MemberId = AssignedId,
                Leader = "",
                ProtocolName = "",
            });
        }
        var offered = request.Protocols[0];
        return Reply.With(new JoinGroupResponse
        {
            GenerationId = 1,
            ProtocolType = ConsumerProtocol.ProtocolType,
            ProtocolName = offered.Name,
            Leader = request.MemberId,
            MemberId = request.MemberId,
            Members = [new JoinGroupResponse.JoinGroupResponseMember { MemberId = request.MemberId, GroupInstanceId = request.GroupInstanceId, Metadata = offered.Metadata }],
        });
    }
}
