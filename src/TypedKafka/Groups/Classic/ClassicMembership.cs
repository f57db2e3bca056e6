using System.Diagnostics;
using Microsoft.Extensions.Logging;
using TypedKafka.Groups.Assignors;
using TypedKafka.Metadata;
using TypedKafka.Offsets;
using TypedKafka.Protocol;
using static TypedKafka.Groups.GroupTiming;

namespace TypedKafka.Groups.Classic;

/// <summary>The classic group protocol: JoinGroup (KIP-394 member-id round trip, KIP-345 static membership),
/// SyncGroup with client-side assignment by the leader, Heartbeat, LeaveGroup; eager and cooperative (KIP-429)
/// rebalancing.</summary>
/// <remarks>The state shared with the heartbeat loop and the commit loop is guarded by the group's lock
/// (<see cref="GroupContext.Gate"/>); the join state (the JoinGroup/SyncGroup task, the last assignment) is the caller's.</remarks>
internal sealed partial class ClassicMembership : IGroupMembership
{
    private static readonly IReadOnlySet<string> NoTopics = new HashSet<string>(StringComparer.Ordinal);

    private readonly GroupContext _context;
    private readonly IMembershipHost _host;
    private readonly ConsumerOptions _options;
    private readonly MetadataManager _metadata;
    private readonly ILogger _log;
    private readonly string _groupId;
    private readonly string? _instanceId;
    private readonly CoordinatorChannel _channel;
    private readonly OffsetCommitter _committer;
    private readonly object _gate;

    private enum ClassicState
    {
        /// <summary>Not in the group (never joined, left, or the generation was reset).</summary>
        Unjoined,

        /// <summary>JoinGroup in flight.</summary>
        PreparingRebalance,

        /// <summary>JoinGroup answered; SyncGroup in flight.</summary>
        CompletingRebalance,

        /// <summary>SyncGroup answered: the member has an assignment for the current generation.</summary>
        Stable,
    }

    private readonly List<IPartitionAssignor> _assignors;
    private readonly bool _cooperative;

    // Shared with the heartbeat and commit loops (under _gate).
    private ClassicState _state = ClassicState.Unjoined;
    private int _generation = -1;
    private string _memberId = "";
    private string? _protocolName;
    private string? _leaderId;
    private bool _rejoinNeeded = true;
    private string _rejoinReason = "the member has not joined yet";
    private int _appliedGeneration = -1;
    private long _nextHeartbeat;
    private long _lastHeartbeatOk;
    private IReadOnlySet<string> _joinedSubscription = NoTopics;

    // Caller-only.
    private bool _needsJoinPrepare = true;
    private Task? _prepareCommit;
    private Task<JoinOutcome>? _joinTask;
    private CancellationTokenSource? _joinCts;
    private IReadOnlyList<TopicPartition>? _lastAssignment;
    private int _lastAssignmentGeneration = MemberSubscription.NoGeneration;
    private IReadOnlyDictionary<string, int>? _assignmentSnapshot;
    private IReadOnlySet<string>? _groupTopics;
    private long _snapshotCheckedVersion = -1;

    public ClassicMembership(GroupContext context, IMembershipHost host)
    {
        _context = context;
        _host = host;
        _options = context.Options;
        _metadata = context.Metadata;
        _log = context.Log;
        _groupId = context.GroupId;
        _instanceId = context.InstanceId;
        _channel = context.Channel;
        _committer = context.Committer;
        _gate = context.Gate;
        _assignors = [.. _options.PartitionAssignmentStrategy.Select(PartitionAssignors.Create)];
        _cooperative = PartitionAssignors.CommonRebalanceProtocol(_assignors) == RebalanceProtocol.Cooperative;
    }

    public bool IsStableLocked() =>
        _state == ClassicState.Stable && _appliedGeneration == _generation && !_rejoinNeeded && _joinTask is null;

    public int GenerationLocked => _generation;

    public string MemberIdLocked => _memberId;

    public Task? RebalanceInFlight => _joinTask;

    public void SubscriptionChangedLocked()
    {
        if (_state != ClassicState.Unjoined && !_host.SubscriptionLocked.SetEquals(_joinedSubscription))
            RequestRejoinLocked("the subscription changed");
    }

    public void OwnedChanged()
    {
        // The classic protocol reports owned partitions only in its JoinGroup subscription.
    }

    public CommitIdentity? CommitIdentityLocked(bool subscribed)
    {
        if (_state == ClassicState.Stable && _generation >= 0) return new CommitIdentity(_generation, _memberId, _instanceId);
        if (!subscribed && _state == ClassicState.Unjoined) return CommitIdentity.None;
        return null;
    }

    public void OnCommitGroupError(ErrorCode error, CommitIdentity used)
    {
        lock (_gate)
        {
            if (used.GenerationOrEpoch != _generation || used.MemberId != _memberId) return;
            switch (error)
            {
                case ErrorCode.RebalanceInProgress:
                    RequestRejoinLocked("a commit found the group rebalancing");
                    break;
                case ErrorCode.IllegalGeneration or ErrorCode.UnknownMemberId:
                    ResetGenerationLocked($"a commit was answered {ErrorCodes.KafkaName(error)}");
                    break;
                case ErrorCode.FencedInstanceId:
                    break;
            }
        }
        if (error == ErrorCode.FencedInstanceId)
            _host.SetFatal(new KafkaBrokerException(error, $"Another consumer with GroupInstanceId '{_instanceId}' joined group '{_groupId}' and fenced this one (FENCED_INSTANCE_ID)."));
    }

    /// <summary>Cancels a join or sync in flight and waits for it to stop.</summary>
    public async ValueTask AbortRebalanceAsync()
    {
        if (_joinTask is { } join)
        {
            _joinCts?.Cancel();
            try
            {
                await join.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // the outcome no longer matters
            }
            _joinTask = null;
            _joinCts?.Dispose();
            _joinCts = null;
            lock (_gate)
            {
                if (_state != ClassicState.Stable) _state = ClassicState.Unjoined;
            }
        }
    }

    public void CancelRebalance() => _joinCts?.Cancel();

    private void RequestRejoinLocked(string reason)
    {
        if (!_rejoinNeeded) _log.LogInformation("Group {Group}: member {MemberId} will rejoin: {Reason}.", _groupId, _memberId, reason);
        _rejoinNeeded = true;
        _rejoinReason = reason;
    }

    /// <summary>Forgets the generation and member id (the member was removed): owned partitions are lost at the next poll.</summary>
    private void ResetGenerationLocked(string reason)
    {
        _log.LogInformation("Group {Group}: member {MemberId} resets its generation {Generation} ({Reason}) and will rejoin.",
            _groupId, _memberId, _generation, reason);
        _generation = -1;
        _memberId = "";
        _protocolName = null;
        _state = ClassicState.Unjoined;
        _rejoinNeeded = true;
        _rejoinReason = reason;
    }

    private TimeSpan RebalanceTimeout => _context.RebalanceTimeout;

    private TimeSpan RetryBackoff => _context.RetryBackoff;

    /// <summary>JoinGroup may wait for the whole rebalance: the request timeout is at least the rebalance timeout plus 5 s.</summary>
    private TimeSpan JoinTimeout
    {
        get
        {
            var rebalance = RebalanceTimeout + TimeSpan.FromSeconds(5);
            return rebalance > _options.RequestTimeout ? rebalance : _options.RequestTimeout;
        }
    }

    /// <summary>The topics the cluster view must cover: ours, plus (for the leader) every topic the group subscribes to.</summary>
    public IReadOnlyCollection<string> TopicsForMetadata(IReadOnlySet<string> subscription)
    {
        if (_groupTopics is null || _groupTopics.IsSubsetOf(subscription)) return subscription;
        return new HashSet<string>(subscription.Concat(_groupTopics), StringComparer.Ordinal);
    }

    // ------------------------------------------------------------------ caller side

    public async ValueTask PollAsync(bool subscribed, long deadline, CancellationToken ct)
    {
        if (!subscribed)
        {
            bool member;
            lock (_gate) member = _state != ClassicState.Unjoined || _generation >= 0;
            if (member || _host.Owned.Count > 0 || _joinTask is not null)
            {
                await AbortRebalanceAsync().ConfigureAwait(false);
                await LeaveAsync("the subscription is empty", LeaveTimeout(deadline), commitFirst: true, ct).ConfigureAwait(false);
            }
            return;
        }
        CheckLeaderMetadata();

        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (_joinTask is null)
            {
                bool needed;
                lock (_gate) needed = _state != ClassicState.Stable || _rejoinNeeded;
                if (!needed) return;
                if (_needsJoinPrepare)
                {
                    if (!await PrepareJoinAsync(deadline, ct).ConfigureAwait(false)) return;
                    _needsJoinPrepare = false;
                }
                StartJoin();
            }
            if (!await WaitUntilAsync(_joinTask!, deadline, ct).ConfigureAwait(false)) return;
            var outcome = await _joinTask!.ConfigureAwait(false);
            _joinTask = null;
            _joinCts?.Dispose();
            _joinCts = null;
            if (outcome.Error is { } error)
            {
                lock (_gate)
                {
                    if (_state != ClassicState.Unjoined) _state = ClassicState.Unjoined;
                    _rejoinNeeded = true;
                }
                if (error is OperationCanceledException) return;
                if (outcome.Fatal) _host.SetFatal(error);
                _host.ThrowIfFatal();
                throw error;
            }
            await CompleteJoinAsync(outcome, ct).ConfigureAwait(false);
            if (Remaining(deadline) <= TimeSpan.Zero) return;
        }
    }

    /// <summary>Before (re)joining: commit consumed offsets (auto-commit), then revoke what the protocol says must go
    /// (eager: everything; cooperative: partitions of topics no longer subscribed), or report everything lost when
    /// the generation was reset. False when the commit is still running at the deadline (the next poll continues).</summary>
    private async ValueTask<bool> PrepareJoinAsync(long deadline, CancellationToken ct)
    {
        int generation;
        string memberId;
        lock (_gate) (generation, memberId) = (_generation, _memberId);
        var valid = generation >= 0 && memberId.Length > 0;

        if (valid && _options.EnableAutoCommit && _host.Owned.Count > 0)
        {
            if (_prepareCommit is null)
            {
                var owned = new HashSet<TopicPartition>(_host.Owned);
                var offsets = _host.ConsumedOffsets().Where(o => owned.Contains(o.Key)).ToDictionary(o => o.Key, o => o.Value);
                if (offsets.Count > 0) _prepareCommit = _committer.CommitAsync(offsets, RebalanceTimeout, CancellationToken.None);
            }
            if (_prepareCommit is not null)
            {
                if (!await WaitUntilAsync(_prepareCommit, deadline, ct).ConfigureAwait(false)) return false;
                try
                {
                    await _prepareCommit.ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    _log.LogWarning("Group {Group}: the auto-commit before rebalancing failed: {Error}", _groupId, e.Message);
                }
                _prepareCommit = null;
            }
        }

        if (!valid)
        {
            await _host.LoseAsync(ct).ConfigureAwait(false);
        }
        else if (!_cooperative)
        {
            await _host.RevokeAsync([.. _host.Owned], ct).ConfigureAwait(false);
        }
        else
        {
            IReadOnlySet<string> subscription;
            lock (_gate) subscription = _host.SubscriptionLocked;
            await _host.RevokeAsync([.. _host.Owned.Where(p => !subscription.Contains(p.Topic))], ct).ConfigureAwait(false);
        }
        return true;
    }

    private void StartJoin()
    {
        IReadOnlySet<string> topics;
        lock (_gate)
        {
            _state = ClassicState.PreparingRebalance;
            _rejoinNeeded = false;
            topics = _host.SubscriptionLocked;
        }
        var owned = Sorted(_host.Owned);
        var lastAssignment = _lastAssignment;
        var lastGeneration = _lastAssignmentGeneration;
        _joinCts = CancellationTokenSource.CreateLinkedTokenSource(_context.Closing);
        var token = _joinCts.Token;
        _joinTask = Task.Run(() => JoinAndSyncAsync(topics, owned, lastAssignment, lastGeneration, token), CancellationToken.None);
    }

    /// <summary>After SyncGroup: apply the new assignment. Cooperative: revoke what moved away (then rejoin so that
    /// it can reach its new owner), add what is new. Eager: everything assigned is new.</summary>
    private async ValueTask CompleteJoinAsync(JoinOutcome outcome, CancellationToken ct)
    {
        var assigned = new HashSet<TopicPartition>(outcome.Assignment);
        var added = assigned.Where(p => !_host.Owned.Contains(p)).ToList();
        var revoked = _host.Owned.Where(p => !assigned.Contains(p)).ToList();
        _lastAssignment = Sorted(assigned);
        _lastAssignmentGeneration = outcome.Generation;
        _assignmentSnapshot = outcome.PartitionCounts;
        _groupTopics = outcome.GroupTopics;
        _snapshotCheckedVersion = -1;

        IReadOnlySet<string> subscription;
        bool pattern;
        lock (_gate)
        {
            _appliedGeneration = outcome.Generation;
            _joinedSubscription = outcome.Subscription;
            subscription = _host.SubscriptionLocked;
            pattern = _host.HasPatternLocked;
            if (!subscription.SetEquals(outcome.Subscription)) RequestRejoinLocked("the subscription changed during the rebalance");
        }
        if (outcome.IsLeader) _host.SetSubscribedTopics(TopicsForMetadata(subscription), pattern);

        _log.LogInformation(
            "Group {Group}: member {MemberId} joined generation {Generation} as {Role} with protocol {Protocol}; assigned {Assigned} (added {Added}, revoked {Revoked}).",
            _groupId, outcome.MemberId, outcome.Generation, outcome.IsLeader ? "leader" : "follower", outcome.Protocol,
            Describe(_lastAssignment), Describe(added), Describe(revoked));

        if (revoked.Count > 0)
        {
            await _host.CommitBeforeRevocationAsync(revoked, _options.SessionTimeout, ct).ConfigureAwait(false);
            await _host.RevokeAsync(revoked, ct).ConfigureAwait(false);
            if (_cooperative)
            {
                lock (_gate) RequestRejoinLocked("partitions were revoked and must be reassigned (cooperative rebalance)");
            }
        }
        await _host.AssignAsync(added, ct).ConfigureAwait(false);
        _needsJoinPrepare = true;
    }

    /// <summary>The leader rejoins when the partition count of a topic the group subscribes to changed since it
    /// computed the assignment (or a subscribed topic appeared).</summary>
    private void CheckLeaderMetadata()
    {
        if (_assignmentSnapshot is null || _groupTopics is null) return;
        var view = _metadata.Current;
        if (view.Version == _snapshotCheckedVersion) return;
        _snapshotCheckedVersion = view.Version;
        foreach (var topic in _groupTopics)
        {
            if (!view.Topics.TryGetValue(topic, out var t) || t.Error != ErrorCode.None) continue;
            var now = t.Partitions.Count;
            var then = _assignmentSnapshot.GetValueOrDefault(topic, 0);
            if (now == then) continue;
            lock (_gate)
            {
                if (_state == ClassicState.Stable) RequestRejoinLocked($"topic '{topic}' now has {now} partitions (the assignment was made for {then})");
            }
            return;
        }
    }

    public async ValueTask LeaveAsync(string reason, TimeSpan timeout, bool commitFirst, CancellationToken ct)
    {
        int generation;
        string memberId;
        lock (_gate) (generation, memberId) = (_generation, _memberId);
        if (generation >= 0 && memberId.Length > 0)
        {
            if (commitFirst && _host.Owned.Count > 0)
            {
                await _host.CommitBeforeRevocationAsync([.. _host.Owned], timeout, ct).ConfigureAwait(false);
            }
            await _host.RevokeAsync([.. _host.Owned], ct).ConfigureAwait(false);
        }
        else
        {
            await _host.LoseAsync(ct).ConfigureAwait(false);
        }
        if (memberId.Length > 0)
        {
            await _host.CommitsSettledAsync(timeout).ConfigureAwait(false);
            await SendLeaveGroupAsync(memberId, reason, timeout).ConfigureAwait(false);
        }
        lock (_gate)
        {
            if (_memberId == memberId)
            {
                _generation = -1;
                _memberId = "";
                _protocolName = null;
                _state = ClassicState.Unjoined;
                _rejoinNeeded = true;
                _rejoinReason = reason;
            }
        }
        _assignmentSnapshot = null;
        _groupTopics = null;
        _needsJoinPrepare = true;
    }

    // ------------------------------------------------------------------ join and sync (a task)

    private sealed record JoinOutcome(
        IReadOnlyList<TopicPartition> Assignment,
        int Generation,
        string MemberId,
        string Protocol,
        bool IsLeader,
        IReadOnlySet<string> Subscription,
        IReadOnlyDictionary<string, int>? PartitionCounts,
        IReadOnlySet<string>? GroupTopics)
    {
        public Exception? Error { get; init; }

        public bool Fatal { get; init; }

        public static JoinOutcome Failed(Exception error, bool fatal = false) =>
            new([], -1, "", "", false, NoTopics, null, null) { Error = error, Fatal = fatal };
    }

    /// <summary>JoinGroup then SyncGroup, retried until the member has an assignment, a non-retriable error occurs,
    /// or the join is cancelled. Never throws: failures are returned in the outcome.</summary>
    private async Task<JoinOutcome> JoinAndSyncAsync(IReadOnlySet<string> topics, List<TopicPartition> owned,
        IReadOnlyList<TopicPartition>? lastAssignment, int lastGeneration, CancellationToken ct)
    {
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                ct.ThrowIfCancellationRequested();
                int generation;
                string memberId;
                string reason;
                lock (_gate) (generation, memberId, reason) = (_generation, _memberId, _rejoinReason);

                JoinGroupResponse join;
                Connections.BrokerConnection joinedVia;
                try
                {
                    (join, _, joinedVia) = await _channel.SendAsync<JoinGroupResponse>(ApiKey.JoinGroup,
                        v => BuildJoin(v, memberId, generation, topics, owned, lastAssignment, lastGeneration, reason), ct, JoinTimeout).ConfigureAwait(false);
                }
                catch (Exception e) when (IsRetriableRequestFailure(e, ct))
                {
                    _log.LogInformation("Group {Group}: JoinGroup failed ({Error}); retrying.", _groupId, e.Message);
                    await BackoffAsync(attempt, ct).ConfigureAwait(false);
                    continue;
                }
                catch (KafkaProtocolException e) when (!ct.IsCancellationRequested)
                {
                    // librdkafka's mock, for one, answers a failed JoinGroup with null member and leader ids, which the
                    // protocol forbids; the join is simply tried again.
                    _log.LogWarning("Group {Group}: the JoinGroup answer could not be decoded ({Error}); retrying.", _groupId, e.Message);
                    await BackoffAsync(attempt, ct).ConfigureAwait(false);
                    continue;
                }

                var error = (ErrorCode)join.ErrorCode;
                if (error != ErrorCode.None)
                {
                    switch (error)
                    {
                        case ErrorCode.MemberIdRequired:
                            // KIP-394: the broker assigned an id and wants it back before admitting the member.
                            lock (_gate) _memberId = join.MemberId;
                            _log.LogDebug("Group {Group}: the coordinator assigned member id {MemberId}; joining again with it.", _groupId, join.MemberId);
                            continue;
                        case ErrorCode.UnknownMemberId or ErrorCode.IllegalGeneration:
                            lock (_gate)
                            {
                                if (_memberId == memberId) ResetGenerationLocked($"JoinGroup answered {ErrorCodes.KafkaName(error)}");
                                _state = ClassicState.PreparingRebalance;
                            }
                            continue;
                        case ErrorCode.CoordinatorNotAvailable or ErrorCode.NotCoordinator:
                            _channel.MarkUnknown(joinedVia, $"JoinGroup answered {ErrorCodes.KafkaName(error)}");
                            await BackoffAsync(attempt, ct).ConfigureAwait(false);
                            continue;
                        case ErrorCode.FencedInstanceId:
                            return JoinOutcome.Failed(new KafkaBrokerException(error,
                                $"Another consumer with GroupInstanceId '{_instanceId}' joined group '{_groupId}' and fenced this one (FENCED_INSTANCE_ID)."), fatal: true);
                        case ErrorCode.GroupAuthorizationFailed:
                            return JoinOutcome.Failed(new KafkaAuthorizationException($"Not authorized to join group '{_groupId}' (GROUP_AUTHORIZATION_FAILED)."));
                        case ErrorCode.RebalanceInProgress or ErrorCode.CoordinatorLoadInProgress:
                            await BackoffAsync(attempt, ct).ConfigureAwait(false);
                            continue;
                        default:
                            if (ErrorCodes.IsRetriable(error))
                            {
                                await BackoffAsync(attempt, ct).ConfigureAwait(false);
                                continue;
                            }
                            return JoinOutcome.Failed(new KafkaBrokerException(error,
                                $"Joining group '{_groupId}' failed: {ErrorCodes.KafkaName(error)} ({ErrorCodes.Describe(error)})."));
                    }
                }

                var isLeader = join.Leader == join.MemberId;
                var protocol = join.ProtocolName ?? "";
                lock (_gate)
                {
                    _memberId = join.MemberId;
                    _generation = join.GenerationId;
                    _protocolName = protocol;
                    _leaderId = join.Leader;
                    _state = ClassicState.CompletingRebalance;
                }

                List<SyncGroupRequest.SyncGroupRequestAssignment> assignments = [];
                IReadOnlyDictionary<string, int>? counts = null;
                IReadOnlySet<string>? groupTopics = null;
                if (isLeader && !join.SkipAssignment)
                {
                    (assignments, counts, groupTopics) = await ComputeAssignmentsAsync(join, protocol, ct).ConfigureAwait(false);
                }

                SyncGroupResponse sync;
                Connections.BrokerConnection syncedVia;
                try
                {
                    (sync, _, syncedVia) = await _channel.SendAsync<SyncGroupResponse>(ApiKey.SyncGroup,
                        v => BuildSync(v, join, protocol, assignments), ct, JoinTimeout).ConfigureAwait(false);
                }
                catch (Exception e) when (IsRetriableRequestFailure(e, ct))
                {
                    _log.LogInformation("Group {Group}: SyncGroup failed ({Error}); rejoining.", _groupId, e.Message);
                    await BackoffAsync(attempt, ct).ConfigureAwait(false);
                    continue;
                }
                catch (KafkaProtocolException e) when (!ct.IsCancellationRequested)
                {
                    // An answer that does not decode cannot be used, but the rebalance can be tried again (librdkafka's
                    // mock, for one, answers a failed SyncGroup with a null assignment, which the protocol forbids).
                    _log.LogWarning("Group {Group}: the SyncGroup answer could not be decoded ({Error}); rejoining.", _groupId, e.Message);
                    await BackoffAsync(attempt, ct).ConfigureAwait(false);
                    continue;
                }

                var syncError = (ErrorCode)sync.ErrorCode;
                switch (syncError)
                {
                    case ErrorCode.None:
                        break;
                    case ErrorCode.RebalanceInProgress:
                        _log.LogDebug("Group {Group}: SyncGroup answered REBALANCE_IN_PROGRESS; rejoining.", _groupId);
                        continue;
                    case ErrorCode.UnknownMemberId or ErrorCode.IllegalGeneration:
                        lock (_gate)
                        {
                            if (_memberId == join.MemberId) ResetGenerationLocked($"SyncGroup answered {ErrorCodes.KafkaName(syncError)}");
                            _state = ClassicState.PreparingRebalance;
                        }
                        continue;
                    case ErrorCode.CoordinatorNotAvailable or ErrorCode.NotCoordinator:
                        _channel.MarkUnknown(syncedVia, $"SyncGroup answered {ErrorCodes.KafkaName(syncError)}");
                        await BackoffAsync(attempt, ct).ConfigureAwait(false);
                        continue;
                    case ErrorCode.FencedInstanceId:
                        return JoinOutcome.Failed(new KafkaBrokerException(syncError,
                            $"Another consumer with GroupInstanceId '{_instanceId}' joined group '{_groupId}' and fenced this one (FENCED_INSTANCE_ID)."), fatal: true);
                    case ErrorCode.GroupAuthorizationFailed:
                        return JoinOutcome.Failed(new KafkaAuthorizationException($"Not authorized to sync group '{_groupId}' (GROUP_AUTHORIZATION_FAILED)."));
                    default:
                        if (ErrorCodes.IsRetriable(syncError))
                        {
                            await BackoffAsync(attempt, ct).ConfigureAwait(false);
                            continue;
                        }
                        return JoinOutcome.Failed(new KafkaBrokerException(syncError,
                            $"Syncing group '{_groupId}' failed: {ErrorCodes.KafkaName(syncError)} ({ErrorCodes.Describe(syncError)})."));
                }

                var assignment = sync.Assignment.Length == 0 ? [] : ConsumerProtocol.DecodeAssignment(sync.Assignment).Partitions;
                lock (_gate)
                {
                    if (_generation == join.GenerationId && _memberId == join.MemberId)
                    {
                        _state = ClassicState.Stable;
                        var now = Stopwatch.GetTimestamp();
                        _lastHeartbeatOk = now;
                        _nextHeartbeat = now + Ticks(_options.HeartbeatInterval);
                    }
                }
                _host.WakeHeartbeat();
                return new JoinOutcome(assignment, join.GenerationId, join.MemberId, protocol, isLeader, topics, counts, groupTopics);
            }
        }
        catch (OperationCanceledException e)
        {
            return JoinOutcome.Failed(e);
        }
        catch (Exception e)
        {
            return JoinOutcome.Failed(e);
        }
    }

    private Task BackoffAsync(int attempt, CancellationToken ct)
    {
        var ms = Math.Min(RetryBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 10)), 1000);
        return Task.Delay(TimeSpan.FromMilliseconds(ms * (0.8 + 0.4 * Random.Shared.NextDouble())), ct);
    }

    private JoinGroupRequest BuildJoin(short version, string memberId, int generation, IReadOnlySet<string> topics,
        List<TopicPartition> owned, IReadOnlyList<TopicPartition>? lastAssignment, int lastGeneration, string reason)
    {
        var request = new JoinGroupRequest
        {
            GroupId = _groupId,
            SessionTimeoutMs = (int)_options.SessionTimeout.TotalMilliseconds,
            RebalanceTimeoutMs = (int)RebalanceTimeout.TotalMilliseconds,
            MemberId = memberId,
            ProtocolType = ConsumerProtocol.ProtocolType,
        };
        if (_instanceId is not null)
        {
            if (version < 5)
            {
                throw new UnsupportedVersionException(
                    $"Static membership (GroupInstanceId '{_instanceId}') needs JoinGroup v5 or newer (Kafka 2.3+); the coordinator supports only v{version}.",
                    (short)ApiKey.JoinGroup, version, nameof(JoinGroupRequest.GroupInstanceId));
            }
            request.GroupInstanceId = _instanceId;
        }
        if (version >= 8) request.Reason = reason;
        var sortedTopics = topics.Order(StringComparer.Ordinal).ToList();
        var rack = string.IsNullOrEmpty(_options.ClientRack) ? null : _options.ClientRack;
        foreach (var assignor in _assignors)
        {
            var userData = assignor.SubscriptionUserData(lastAssignment, lastGeneration);
            var subscription = new MemberSubscription(sortedTopics)
            {
                OwnedPartitions = owned,
                GenerationId = generation,
                RackId = rack,
                UserData = userData,
            };
            request.Protocols.Add(new JoinGroupRequest.JoinGroupRequestProtocol
            {
                Name = assignor.Name,
                Metadata = ConsumerProtocol.EncodeSubscription(subscription),
            });
        }
        return request;
    }

    private SyncGroupRequest BuildSync(short version, JoinGroupResponse join, string protocol, List<SyncGroupRequest.SyncGroupRequestAssignment> assignments)
    {
        var request = new SyncGroupRequest
        {
            GroupId = _groupId,
            GenerationId = join.GenerationId,
            MemberId = join.MemberId,
            Assignments = assignments,
        };
        if (version >= 3) request.GroupInstanceId = _instanceId;
        if (version >= 5)
        {
            request.ProtocolType = ConsumerProtocol.ProtocolType;
            request.ProtocolName = protocol;
        }
        return request;
    }

    /// <summary>The leader's work: decode every member's subscription, learn the partition counts of every topic the
    /// group subscribes to, run the chosen assignor, and encode each member's assignment.</summary>
    private async Task<(List<SyncGroupRequest.SyncGroupRequestAssignment>, IReadOnlyDictionary<string, int>, IReadOnlySet<string>)> ComputeAssignmentsAsync(
        JoinGroupResponse join, string protocol, CancellationToken ct)
    {
        var assignor = _assignors.FirstOrDefault(a => a.Name == protocol)
            ?? throw new KafkaException($"Group '{_groupId}' chose assignment protocol '{protocol}', which this member did not offer ({string.Join(", ", _assignors.Select(a => a.Name))}).");
        var members = new Dictionary<string, MemberSubscription>(StringComparer.Ordinal);
        foreach (var m in join.Members) members[m.MemberId] = ConsumerProtocol.DecodeSubscription(m.Metadata, m.GroupInstanceId);
        var allTopics = new HashSet<string>(members.Values.SelectMany(s => s.Topics), StringComparer.Ordinal);

        var view = _metadata.Current;
        if (allTopics.Count > 0)
        {
            try
            {
                view = await _metadata.FetchTopicsAsync(allTopics, ct).WaitAsync(_options.RequestTimeout, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is KafkaException or TimeoutException or IOException)
            {
                _log.LogWarning("Group {Group}: the leader could not refresh metadata for {Topics} ({Error}); assigning from the cached view.",
                    _groupId, string.Join(", ", allTopics), e.Message);
            }
        }
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var topic in allTopics)
        {
            if (view.Topics.TryGetValue(topic, out var t) && t.Error == ErrorCode.None && t.Partitions.Count > 0) counts[topic] = t.Partitions.Count;
        }

        var result = assignor.Assign(counts, members);
        var assignments = new List<SyncGroupRequest.SyncGroupRequestAssignment>(members.Count);
        foreach (var memberId in members.Keys)
        {
            var partitions = result.TryGetValue(memberId, out var p) ? p : [];
            assignments.Add(new SyncGroupRequest.SyncGroupRequestAssignment
            {
                MemberId = memberId,
                Assignment = ConsumerProtocol.EncodeAssignment(partitions),
            });
        }
        _log.LogInformation("Group {Group}: leader {MemberId} assigned with {Assignor} over {Topics}: {Assignment}.",
            _groupId, join.MemberId, assignor.Name,
            string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}({c.Value})")),
            string.Join("; ", result.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key} -> [{string.Join(", ", r.Value)}]")));
        return (assignments, counts, allTopics);
    }
}
