using TypedKafka.Protocol;

using TypedKafka.Offsets;

namespace TypedKafka.Groups;

/// <summary>
/// One group membership protocol as the <see cref="GroupCoordinator"/> drives it: the classic protocol
/// (<see cref="Classic.ClassicMembership"/>: JoinGroup/SyncGroup/Heartbeat) or KIP-848
/// (<see cref="Kip848.Kip848Membership"/>: ConsumerGroupHeartbeat). The coordinator keeps what both share
/// (subscription, listeners, commits, the heartbeat loop, close) and calls these at the points where they differ.
/// </summary>
/// <remarks>Members ending in <c>Locked</c> are called with <see cref="GroupContext.Gate"/> held; the others without
/// it. <see cref="PollAsync"/>, <see cref="LeaveAsync"/>, <see cref="AbortRebalanceAsync"/> and
/// <see cref="OwnedChanged"/> run on the caller (one at a time); <see cref="HeartbeatStepAsync"/> on the heartbeat loop;
/// <see cref="OnCommitGroupError"/> on the commit loop.</remarks>
internal interface IGroupMembership
{
    /// <summary>True when the member has a current assignment that the caller has applied.</summary>
    bool IsStableLocked();

    /// <summary>The classic generation or the KIP-848 member epoch.</summary>
    int GenerationLocked { get; }

    /// <summary>The member id (empty before the first join).</summary>
    string MemberIdLocked { get; }

    /// <summary>The subscription changed (the new one is in the host): the classic protocol rejoins, KIP-848 sends
    /// the names with its next heartbeat.</summary>
    void SubscriptionChangedLocked();

    /// <summary>The topics the cluster view must cover for this subscription (the classic leader adds the group's).</summary>
    IReadOnlyCollection<string> TopicsForMetadata(IReadOnlySet<string> subscription);

    /// <summary>The caller's turn in a poll: join, rebalance or reconcile, or leave when no longer subscribed.</summary>
    ValueTask PollAsync(bool subscribed, long deadline, CancellationToken ct);

    /// <summary>One turn of the heartbeat loop; returns how long to sleep (zero: go again; negative: until woken).</summary>
    Task<TimeSpan> HeartbeatStepAsync(CancellationToken token);

    /// <summary>Revokes (or loses) the assignment and leaves the group.</summary>
    ValueTask LeaveAsync(string reason, TimeSpan timeout, bool commitFirst, CancellationToken ct);

    /// <summary>Cancels a rebalance in flight and waits for it to stop.</summary>
    ValueTask AbortRebalanceAsync();

    /// <summary>Cancels a rebalance in flight without waiting (the process-died test hook).</summary>
    void CancelRebalance();

    /// <summary>The task of a rebalance still running, awaited at shutdown; null when none.</summary>
    Task? RebalanceInFlight { get; }

    /// <summary>Who commits now: the active generation or epoch, <see cref="CommitIdentity.None"/> for a member with
    /// no subscription, or null when a subscribed member is not part of an active generation.</summary>
    CommitIdentity? CommitIdentityLocked(bool subscribed);

    /// <summary>A commit was answered with a group error for the identity it used.</summary>
    void OnCommitGroupError(ErrorCode error, CommitIdentity used);

    /// <summary>The caller's owned partitions changed.</summary>
    void OwnedChanged();
}
