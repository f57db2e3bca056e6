using System.Diagnostics;
using Microsoft.Extensions.Logging;
using TypedKafka.Metadata;
using TypedKafka.Offsets;
using TypedKafka.Protocol;
using static TypedKafka.Groups.GroupTiming;

namespace TypedKafka.Groups.Kip848;

/// <summary>The KIP-848 consumer group protocol: ConsumerGroupHeartbeat carries the subscription and the owned
/// partitions, the broker assigns (server-side assignor) and answers with the target assignment by topic id; the
/// member reconciles (revoke, then assign) on the caller's poll and acknowledges with its next heartbeat.</summary>
/// <remarks>The state shared with the heartbeat loop is guarded by the group's lock (<see cref="GroupContext.Gate"/>).</remarks>
internal sealed class Kip848Membership : IGroupMembership
{
    private readonly GroupContext _context;
    private readonly IMembershipHost _host;
    private readonly ConsumerOptions _options;
    private readonly MetadataManager _metadata;
    private readonly ILogger _log;
    private readonly string _groupId;
    private readonly string? _instanceId;
    private readonly CoordinatorChannel _channel;
    private readonly object _gate;

    private enum ConsumerState
    {
        /// <summary>No subscription: not in the group.</summary>
        Idle,

        /// <summary>Heartbeating with epoch 0 until the broker admits the member.</summary>
        Joining,

        /// <summary>Admitted (epoch &gt; 0); the assignment may still be reconciling.</summary>
        Member,

        /// <summary>Fenced, or left after a poll timeout: the poll reports the assignment lost, then the member rejoins with epoch 0.</summary>
        Fenced,
    }

    // Shared with the heartbeat loop (under _gate).
    private ConsumerState _cgState = ConsumerState.Idle;
    private string _cgMemberId = "";
    private int _cgEpoch;
    private Dictionary<KafkaUuid, List<int>>? _cgTarget;
    private long _cgTargetVersion;
    private long _cgAppliedVersion;
    private bool _cgPendingUnresolved;
    private long _cgNextHeartbeat;
    private TimeSpan _cgInterval = TimeSpan.FromSeconds(3);
    private List<ConsumerGroupHeartbeatRequest.TopicPartitionsData> _cgOwnedIds = [];
    private readonly Dictionary<string, KafkaUuid> _cgTopicIds = new(StringComparer.Ordinal);
    private string _cgFenceReason = "";

    public Kip848Membership(GroupContext context, IMembershipHost host)
    {
        _context = context;
        _host = host;
        _options = context.Options;
        _metadata = context.Metadata;
        _log = context.Log;
        _groupId = context.GroupId;
        _instanceId = context.InstanceId;
        _channel = context.Channel;
        _gate = context.Gate;
    }

    public bool IsStableLocked() =>
        _cgState == ConsumerState.Member && _cgEpoch > 0 && _cgAppliedVersion == _cgTargetVersion && _cgTargetVersion > 0 && !_cgPendingUnresolved;

    public int GenerationLocked => _cgEpoch;

    public string MemberIdLocked => _cgMemberId;

    private string MemberId
    {
        get { lock (_gate) return _cgMemberId; }
    }

    private int Generation
    {
        get { lock (_gate) return _cgEpoch; }
    }

    /// <summary>The heartbeat carries the topic names: nothing to do until it is sent.</summary>
    public void SubscriptionChangedLocked()
    {
    }

    public IReadOnlyCollection<string> TopicsForMetadata(IReadOnlySet<string> subscription) => subscription;

    /// <summary>KIP-848 has no rebalance task: the broker assigns, the caller reconciles within its poll.</summary>
    public ValueTask AbortRebalanceAsync() => ValueTask.CompletedTask;

    public void CancelRebalance()
    {
    }

    public Task? RebalanceInFlight => null;

    public CommitIdentity? CommitIdentityLocked(bool subscribed)
    {
        if (_cgEpoch > 0 && _cgState == ConsumerState.Member) return new CommitIdentity(_cgEpoch, _cgMemberId, _instanceId);
        if (!subscribed) return CommitIdentity.None;
        return null;
    }

    private TimeSpan RebalanceTimeout => _context.RebalanceTimeout;

    private TimeSpan RetryBackoff => _context.RetryBackoff;

    // ------------------------------------------------------------------ caller side

    public async ValueTask PollAsync(bool subscribed, long deadline, CancellationToken ct)
    {
        ConsumerState state;
        lock (_gate) state = _cgState;
        if (!subscribed)
        {
            if (state != ConsumerState.Idle || _host.Owned.Count > 0) await LeaveAsync("the subscription is empty", LeaveTimeout(deadline), commitFirst: true, ct).ConfigureAwait(false);
            return;
        }
        if (state == ConsumerState.Fenced)
        {
            await _host.LoseAsync(ct).ConfigureAwait(false);
            lock (_gate)
            {
                _cgTarget = null;
                _cgAppliedVersion = _cgTargetVersion;
                _cgPendingUnresolved = false;
                _cgEpoch = 0;
                _cgState = ConsumerState.Joining;
                _cgNextHeartbeat = 0;
            }
            _log.LogInformation("Group {Group}: member {MemberId} rejoins with epoch 0 ({Reason}).", _groupId, MemberId, _cgFenceReason);
            _host.WakeHeartbeat();
        }
        else if (state == ConsumerState.Idle)
        {
            lock (_gate)
            {
                // ConsumerGroupHeartbeat v1 (KIP-1082): the member chooses its id, a random UUID kept for its lifetime.
                if (_cgMemberId.Length == 0) _cgMemberId = KafkaUuid.FromGuid(Guid.NewGuid()).ToString();
                _cgEpoch = 0;
                _cgState = ConsumerState.Joining;
                _cgNextHeartbeat = 0;
            }
            _host.EnsureHeartbeatLoop();
            _host.WakeHeartbeat();
        }

        await ReconcileAsync(deadline, ct).ConfigureAwait(false);
    }

    /// <summary>Applies the broker's latest target assignment: revoke what is no longer targeted (after committing it
    /// with auto-commit), add what is new, then acknowledge at once with a heartbeat carrying the new owned set.</summary>
    private async ValueTask ReconcileAsync(long deadline, CancellationToken ct)
    {
        Dictionary<KafkaUuid, List<int>>? target;
        long version;
        lock (_gate)
        {
            if (_cgState != ConsumerState.Member || _cgAppliedVersion == _cgTargetVersion || _cgTarget is null) return;
            target = _cgTarget;
            version = _cgTargetVersion;
        }

        var resolved = Resolve(target, out var unresolved);
        if (unresolved.Count > 0)
        {
            _metadata.RequestRefresh();
            var left = Remaining(deadline);
            if (left > TimeSpan.Zero)
            {
                try
                {
                    await _metadata.RefreshAsync(ct).WaitAsync(left, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is TimeoutException or KafkaException or IOException)
                {
                }
                resolved = Resolve(target, out unresolved);
            }
            if (unresolved.Count > 0)
            {
                _log.LogInformation("Group {Group}: the assignment names topic ids {Ids} that the cluster view does not know yet; they are applied once metadata catches up.",
                    _groupId, string.Join(", ", unresolved));
            }
        }

        var revoked = _host.Owned.Where(p => !resolved.Contains(p)).ToList();
        var added = resolved.Where(p => !_host.Owned.Contains(p)).ToList();
        if (revoked.Count > 0)
        {
            await _host.CommitBeforeRevocationAsync(revoked, _options.RequestTimeout < RebalanceTimeout ? _options.RequestTimeout : RebalanceTimeout, ct).ConfigureAwait(false);
            await _host.RevokeAsync(revoked, ct).ConfigureAwait(false);
        }
        await _host.AssignAsync(added, ct).ConfigureAwait(false);
        _log.LogInformation("Group {Group}: member {MemberId} epoch {Epoch} reconciled its assignment to {Assigned} (added {Added}, revoked {Revoked}).",
            _groupId, MemberId, Generation, Describe(Sorted(_host.Owned)), Describe(Sorted(added)), Describe(Sorted(revoked)));
        lock (_gate)
        {
            if (_cgTargetVersion == version)
            {
                _cgAppliedVersion = version;
                _cgPendingUnresolved = unresolved.Count > 0;
                if (_cgPendingUnresolved) _cgAppliedVersion = version - 1; // try again on the next poll
            }
            _cgNextHeartbeat = 0; // acknowledge now
        }
        _host.WakeHeartbeat();
    }

    private HashSet<TopicPartition> Resolve(Dictionary<KafkaUuid, List<int>> target, out List<KafkaUuid> unresolved)
    {
        var view = _metadata.Current;
        var byId = new Dictionary<KafkaUuid, string>();
        foreach (var topic in view.Topics.Values)
        {
            if (!topic.TopicId.IsZero) byId[topic.TopicId] = topic.Name;
        }
        var result = new HashSet<TopicPartition>();
        unresolved = [];
        foreach (var (id, partitions) in target)
        {
            if (!byId.TryGetValue(id, out var name))
            {
                lock (_gate)
                {
                    name = _cgTopicIds.FirstOrDefault(kv => kv.Value == id).Key;
                }
                if (name is null)
                {
                    unresolved.Add(id);
                    continue;
                }
            }
            lock (_gate) _cgTopicIds[name] = id;
            foreach (var p in partitions) result.Add(new TopicPartition(name, p));
        }
        return result;
    }

    /// <summary>Keeps the owned set the heartbeat reports (by topic id) in step with the caller's assignment.</summary>
    public void OwnedChanged()
    {
        lock (_gate)
        {
            var list = new List<ConsumerGroupHeartbeatRequest.TopicPartitionsData>();
            foreach (var topic in _host.Owned.GroupBy(p => p.Topic, StringComparer.Ordinal))
            {
                if (!_cgTopicIds.TryGetValue(topic.Key, out var id)) continue;
                list.Add(new ConsumerGroupHeartbeatRequest.TopicPartitionsData { TopicId = id, Partitions = [.. topic.Select(p => p.Partition).Order()] });
            }
            _cgOwnedIds = list;
        }
    }

    public async ValueTask LeaveAsync(string reason, TimeSpan timeout, bool commitFirst, CancellationToken ct)
    {
        string memberId;
        int epoch;
        ConsumerState state;
        lock (_gate) (memberId, epoch, state) = (_cgMemberId, _cgEpoch, _cgState);
        if (state == ConsumerState.Member && epoch > 0)
        {
            if (commitFirst) await _host.CommitBeforeRevocationAsync([.. _host.Owned], timeout, ct).ConfigureAwait(false);
            await _host.RevokeAsync([.. _host.Owned], ct).ConfigureAwait(false);
        }
        else
        {
            await _host.LoseAsync(ct).ConfigureAwait(false);
        }
        var leaving = state is ConsumerState.Member or ConsumerState.Joining && memberId.Length > 0;
        if (leaving) await _host.CommitsSettledAsync(timeout).ConfigureAwait(false); // while the member epoch is still valid
        lock (_gate)
        {
            _cgState = ConsumerState.Idle;
            _cgTarget = null;
            _cgAppliedVersion = _cgTargetVersion;
            _cgPendingUnresolved = false;
            _cgEpoch = 0;
        }
        if (leaving) await SendConsumerLeaveAsync(memberId, epoch, reason, timeout).ConfigureAwait(false);
    }

    /// <summary>A leave heartbeat: epoch -1, or -2 for a static member (which keeps its assignment for a session).</summary>
    private async Task SendConsumerLeaveAsync(string memberId, int epoch, string reason, TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero) timeout = TimeSpan.FromMilliseconds(1);
        using var cts = new CancellationTokenSource(timeout);
        var leaveEpoch = _instanceId is null ? -1 : -2;
        try
        {
            _log.LogInformation("Group {Group}: member {MemberId} (epoch {Epoch}) leaves with epoch {LeaveEpoch}: {Reason}.", _groupId, memberId, epoch, leaveEpoch, reason);
            var (response, _, _) = await _channel.SendAsync<ConsumerGroupHeartbeatResponse>(ApiKey.ConsumerGroupHeartbeat, _ => new ConsumerGroupHeartbeatRequest
            {
                GroupId = _groupId,
                MemberId = memberId,
                MemberEpoch = leaveEpoch,
                InstanceId = _instanceId,
            }, cts.Token, timeout).ConfigureAwait(false);
            var error = (ErrorCode)response.ErrorCode;
            if (error != ErrorCode.None)
                _log.LogInformation("Group {Group}: the leave heartbeat answered {Error} (ignored).", _groupId, ErrorCodes.KafkaName(error));
        }
        catch (Exception e)
        {
            _log.LogInformation("Group {Group}: the leave heartbeat failed ({Error}); the group notices after the session timeout.", _groupId, e.Message);
        }
    }

    public void OnCommitGroupError(ErrorCode error, CommitIdentity used)
    {
        Exception? fatal = null;
        lock (_gate)
        {
            if (used.GenerationOrEpoch != _cgEpoch || used.MemberId != _cgMemberId) return;
            switch (error)
            {
                case ErrorCode.UnknownMemberId or ErrorCode.IllegalGeneration:
                    FenceLocked($"a commit was answered {ErrorCodes.KafkaName(error)}");
                    break;
                case ErrorCode.FencedInstanceId:
                    fatal = new KafkaBrokerException(error, $"Another consumer with GroupInstanceId '{_instanceId}' fenced this one in group '{_groupId}' (FENCED_INSTANCE_ID).");
                    break;
            }
        }
        if (fatal is not null) _host.SetFatal(fatal);
    }

    private void FenceLocked(string reason)
    {
        if (_cgState is ConsumerState.Idle or ConsumerState.Fenced) return;
        _log.LogWarning("Group {Group}: member {MemberId} epoch {Epoch} was fenced ({Reason}); its partitions are lost and it rejoins.", _groupId, _cgMemberId, _cgEpoch, reason);
        _cgState = ConsumerState.Fenced;
        _cgEpoch = 0;
        _cgFenceReason = reason;
    }

    // ------------------------------------------------------------------ heartbeat loop side

    public async Task<TimeSpan> HeartbeatStepAsync(CancellationToken token)
    {
        ConsumerGroupHeartbeatRequest request;
        string memberId;
        int epoch;
        TimeSpan sincePoll;
        lock (_gate)
        {
            if (!_host.SubscribedLocked || _cgState is ConsumerState.Idle or ConsumerState.Fenced) return Timeout.InfiniteTimeSpan;
            memberId = _cgMemberId;
            epoch = _cgEpoch;
            sincePoll = _host.SinceLastPoll;
            if (sincePoll < _options.MaxPollInterval || _cgState != ConsumerState.Member)
            {
                var untilHeartbeat = Remaining(_cgNextHeartbeat);
                if (untilHeartbeat > TimeSpan.Zero)
                {
                    var untilPollTimeout = _options.MaxPollInterval - sincePoll;
                    return _cgState == ConsumerState.Member && untilPollTimeout < untilHeartbeat ? untilPollTimeout : untilHeartbeat;
                }
            }
            request = new ConsumerGroupHeartbeatRequest
            {
                GroupId = _groupId,
                MemberId = memberId,
                MemberEpoch = epoch,
                InstanceId = _instanceId,
                RackId = string.IsNullOrEmpty(_options.ClientRack) ? null : _options.ClientRack,
                RebalanceTimeoutMs = (int)RebalanceTimeout.TotalMilliseconds,
                SubscribedTopicNames = [.. _host.SubscriptionLocked.Order(StringComparer.Ordinal)],
                // The owned set is always sent (a full heartbeat): brokers accept it and it lets them reconcile after any lost answer.
                TopicPartitions = epoch == 0 ? [] : [.. _cgOwnedIds],
            };
        }

        if (sincePoll >= _options.MaxPollInterval && epoch > 0)
        {
            _host.LogPollTimeout(sincePoll, memberId);
            await SendConsumerLeaveAsync(memberId, epoch, "consumer poll timeout has expired", _options.RequestTimeout).ConfigureAwait(false);
            lock (_gate)
            {
                if (_cgMemberId == memberId && _cgEpoch == epoch) FenceLocked("the poll timeout expired and the member left the group");
            }
            return Timeout.InfiniteTimeSpan;
        }

        var timeout = _options.RequestTimeout;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(token);
        cts.CancelAfter(timeout);
        ConsumerGroupHeartbeatResponse response;
        Connections.BrokerConnection via;
        try
        {
            (response, _, via) = await _channel.SendAsync<ConsumerGroupHeartbeatResponse>(ApiKey.ConsumerGroupHeartbeat, v =>
            {
                // v1+: the topic names are the subscription; an empty regex says "no regex" explicitly. (librdkafka's
                // 2.16 mock asserts that names and regex are both present or both absent.)
                if (v >= 1) request.SubscribedTopicRegex = "";
                return request;
            }, cts.Token, timeout).ConfigureAwait(false);
        }
        catch (UnsupportedVersionException e)
        {
            _host.SetFatal(new UnsupportedVersionException(
                $"GroupProtocol.Consumer needs the KIP-848 ConsumerGroupHeartbeat API, which the group coordinator does not support: {e.Message}", e));
            return Timeout.InfiniteTimeSpan;
        }
        catch (Exception e) when (!token.IsCancellationRequested && (e is OperationCanceledException || IsRetriableRequestFailure(e, token)))
        {
            _log.LogDebug("Group {Group}: ConsumerGroupHeartbeat failed: {Error}", _groupId, e.Message);
            lock (_gate) _cgNextHeartbeat = Stopwatch.GetTimestamp() + Ticks(RetryBackoff);
            return TimeSpan.Zero;
        }

        var error = (ErrorCode)response.ErrorCode;
        Exception? fatal = null;
        var coordinatorGone = false;
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            if (_cgMemberId != memberId || _cgEpoch != epoch || _cgState is ConsumerState.Idle or ConsumerState.Fenced) return TimeSpan.Zero; // stale answer
            switch (error)
            {
                case ErrorCode.None:
                    if (!string.IsNullOrEmpty(response.MemberId)) _cgMemberId = response.MemberId;
                    _cgEpoch = response.MemberEpoch;
                    if (response.HeartbeatIntervalMs > 0) _cgInterval = TimeSpan.FromMilliseconds(response.HeartbeatIntervalMs);
                    if (_cgState == ConsumerState.Joining && _cgEpoch > 0)
                    {
                        _cgState = ConsumerState.Member;
                        _log.LogInformation("Group {Group}: member {MemberId} joined with epoch {Epoch}.", _groupId, _cgMemberId, _cgEpoch);
                    }
                    if (response.Assignment is { } assignment)
                    {
                        var target = new Dictionary<KafkaUuid, List<int>>();
                        foreach (var tp in assignment.TopicPartitions)
                        {
                            if (!target.TryGetValue(tp.TopicId, out var list)) target[tp.TopicId] = list = [];
                            list.AddRange(tp.Partitions);
                        }
                        _cgTarget = target;
                        _cgTargetVersion++;
                    }
                    _cgNextHeartbeat = now + Ticks(_cgInterval);
                    break;
                case ErrorCode.UnknownMemberId or ErrorCode.FencedMemberEpoch:
                    FenceLocked($"ConsumerGroupHeartbeat answered {ErrorCodes.KafkaName(error)}");
                    break;
                case ErrorCode.CoordinatorNotAvailable or ErrorCode.NotCoordinator:
                    coordinatorGone = true;
                    _cgNextHeartbeat = now + Ticks(RetryBackoff);
                    break;
                case ErrorCode.CoordinatorLoadInProgress:
                    _cgNextHeartbeat = now + Ticks(RetryBackoff);
                    break;
                case ErrorCode.GroupAuthorizationFailed:
                    fatal = new KafkaAuthorizationException($"Not authorized to join group '{_groupId}' (GROUP_AUTHORIZATION_FAILED).");
                    break;
                case ErrorCode.FencedInstanceId or ErrorCode.UnreleasedInstanceId or ErrorCode.UnsupportedAssignor or ErrorCode.InvalidRequest
                    or ErrorCode.GroupMaxSizeReached or ErrorCode.UnsupportedVersion:
                    fatal = new KafkaBrokerException(error,
                        $"ConsumerGroupHeartbeat of group '{_groupId}' failed: {ErrorCodes.KafkaName(error)} ({response.ErrorMessage ?? ErrorCodes.Describe(error)}).");
                    break;
                default:
                    if (!ErrorCodes.IsRetriable(error))
                    {
                        fatal = new KafkaBrokerException(error,
                            $"ConsumerGroupHeartbeat of group '{_groupId}' failed: {ErrorCodes.KafkaName(error)} ({response.ErrorMessage ?? ErrorCodes.Describe(error)}).");
                        break;
                    }
                    _log.LogWarning("Group {Group}: ConsumerGroupHeartbeat answered {Error}; retrying.", _groupId, ErrorCodes.KafkaName(error));
                    _cgNextHeartbeat = now + Ticks(RetryBackoff);
                    break;
            }
            if (fatal is not null)
            {
                _cgState = ConsumerState.Idle;
                _cgEpoch = 0;
            }
        }
        if (coordinatorGone) _channel.MarkUnknown(via, $"ConsumerGroupHeartbeat answered {ErrorCodes.KafkaName(error)}");
        if (fatal is not null) _host.SetFatal(fatal);
        return TimeSpan.Zero;
    }
}
