using System.Runtime.ExceptionServices;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using TypedKafka.Groups.Assignors;
using TypedKafka.Protocol;

namespace TypedKafka.Groups;

/// <summary>The classic group protocol: JoinGroup (KIP-394 member-id round trip, KIP-345 static membership),
/// SyncGroup with client-side assignment by the leader, Heartbeat, LeaveGroup; eager and cooperative (KIP-429)
/// rebalancing.</summary>
internal sealed partial class GroupCoordinator
{
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

    private bool ClassicIsStableLocked() =>
        _state == ClassicState.Stable && _appliedGeneration == _generation && !_rejoinNeeded && _joinTask is null;

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

    private TimeSpan RebalanceTimeout => _options.MaxPollInterval;

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
    private IReadOnlyCollection<string> GroupTopicsForMetadata(IReadOnlySet<string> subscription)
    {
        if (_groupTopics is null || _groupTopics.IsSubsetOf(subscription)) return subscription;
        return new HashSet<string>(subscription.Concat(_groupTopics), StringComparer.Ordinal);
    }

    // ------------------------------------------------------------------ caller side

    private async ValueTask PollClassicAsync(bool subscribed, long deadline, CancellationToken ct)
    {
        if (!subscribed)
        {
            bool member;
            lock (_gate) member = _state != ClassicState.Unjoined || _generation >= 0;
            if (member || _owned.Count > 0 || _joinTask is not null)
            {
                await AbortRebalanceAsync().ConfigureAwait(false);
                await ClassicLeaveAsync("the subscription is empty", LeaveTimeout(deadline), commitFirst: true, ct).ConfigureAwait(false);
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
                if (outcome.Fatal) SetFatal(error);
                _fatal?.Throw();
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

        if (valid && _options.EnableAutoCommit && _owned.Count > 0)
        {
            if (_prepareCommit is null)
            {
                var owned = new HashSet<TopicPartition>(_owned);
                var offsets = _member.ConsumedOffsets().Where(o => owned.Contains(o.Key)).ToDictionary(o => o.Key, o => o.Value);
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
            await LoseAsync(ct).ConfigureAwait(false);
        }
        else if (!_cooperative)
        {
            await RevokeAsync([.. _owned], ct).ConfigureAwait(false);
        }
        else
        {
            IReadOnlySet<string> subscription;
            lock (_gate) subscription = _subscription;
            await RevokeAsync([.. _owned.Where(p => !subscription.Contains(p.Topic))], ct).ConfigureAwait(false);
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
            topics = _subscription;
        }
        var owned = Sorted(_owned);
        var lastAssignment = _lastAssignment;
        var lastGeneration = _lastAssignmentGeneration;
        _joinCts = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        var token = _joinCts.Token;
        _joinTask = Task.Run(() => JoinAndSyncAsync(topics, owned, lastAssignment, lastGeneration, token), CancellationToken.None);
    }

    /// <summary>After SyncGroup: apply the new assignment. Cooperative: revoke what moved away (then rejoin so that
    /// it can reach its new owner), add what is new. Eager: everything assigned is new.</summary>
    private async ValueTask CompleteJoinAsync(JoinOutcome outcome, CancellationToken ct)
    {
        var assigned = new HashSet<TopicPartition>(outcome.Assignment);
        var added = assigned.Where(p => !_owned.Contains(p)).ToList();
        var revoked = _owned.Where(p => !assigned.Contains(p)).ToList();
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
            subscription = _subscription;
            pattern = _pattern is not null;
            if (!subscription.SetEquals(outcome.Subscription)) RequestRejoinLocked("the subscription changed during the rebalance");
        }
        if (outcome.IsLeader) _member.SetSubscribedTopics(GroupTopicsForMetadata(subscription), pattern);

        _log.LogInformation(
            "Group {Group}: member {MemberId} joined generation {Generation} as {Role} with protocol {Protocol}; assigned {Assigned} (added {Added}, revoked {Revoked}).",
            _groupId, outcome.MemberId, outcome.Generation, outcome.IsLeader ? "leader" : "follower", outcome.Protocol,
            Describe(_lastAssignment), Describe(added), Describe(revoked));

        if (revoked.Count > 0)
        {
            await CommitBeforeRevocationAsync(revoked, _options.SessionTimeout, ct).ConfigureAwait(false);
            await RevokeAsync(revoked, ct).ConfigureAwait(false);
            if (_cooperative)
            {
                lock (_gate) RequestRejoinLocked("partitions were revoked and must be reassigned (cooperative rebalance)");
            }
        }
        await AssignAsync(added, ct).ConfigureAwait(false);
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

    private async ValueTask ClassicLeaveAsync(string reason, TimeSpan timeout, bool commitFirst, CancellationToken ct)
    {
        int generation;
        string memberId;
        lock (_gate) (generation, memberId) = (_generation, _memberId);
        if (generation >= 0 && memberId.Length > 0)
        {
            if (commitFirst && _owned.Count > 0)
            {
                await CommitBeforeRevocationAsync([.. _owned], timeout, ct).ConfigureAwait(false);
            }
            await RevokeAsync([.. _owned], ct).ConfigureAwait(false);
        }
        else
        {
            await LoseAsync(ct).ConfigureAwait(false);
        }
        if (memberId.Length > 0)
        {
            await CommitsSettledAsync(timeout).ConfigureAwait(false);
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
                WakeHeartbeat();
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

    private static bool IsRetriableRequestFailure(Exception e, CancellationToken ct) =>
        !ct.IsCancellationRequested
        && (CoordinatorChannel.IsTransportFailure(e) || (e is KafkaBrokerException b && (b.IsRetriable || b.ErrorCode == ErrorCode.NotCoordinator)));

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

    // ------------------------------------------------------------------ heartbeat loop side

    /// <summary>One turn of the classic heartbeat loop: enforce MaxPollInterval, send a heartbeat when due, and return
    /// how long to sleep (negative: until woken).</summary>
    private async Task<TimeSpan> ClassicHeartbeatStepAsync(CancellationToken token)
    {
        int generation;
        string memberId;
        TimeSpan sincePoll;
        lock (_gate)
        {
            if (_state != ClassicState.Stable) return Timeout.InfiniteTimeSpan;
            generation = _generation;
            memberId = _memberId;
            sincePoll = SinceLastPoll;
            if (sincePoll < _options.MaxPollInterval)
            {
                var untilHeartbeat = Remaining(_nextHeartbeat);
                if (untilHeartbeat > TimeSpan.Zero)
                {
                    var untilPollTimeout = _options.MaxPollInterval - sincePoll;
                    return untilHeartbeat < untilPollTimeout ? untilHeartbeat : untilPollTimeout;
                }
            }
        }

        if (sincePoll >= _options.MaxPollInterval)
        {
            LogPollTimeout(sincePoll, memberId);
            await SendLeaveGroupAsync(memberId, "consumer poll timeout has expired", _options.RequestTimeout < _options.SessionTimeout ? _options.RequestTimeout : _options.SessionTimeout).ConfigureAwait(false);
            lock (_gate)
            {
                if (_generation == generation && _memberId == memberId) ResetGenerationLocked("the poll timeout expired");
            }
            return Timeout.InfiniteTimeSpan;
        }

        // A heartbeat that takes longer than the session is useless; discovery is bounded so the loop keeps checking the poll timeout.
        var timeout = _options.SessionTimeout < _options.RequestTimeout ? _options.SessionTimeout : _options.RequestTimeout;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(token);
        cts.CancelAfter(timeout);
        ErrorCode error;
        Connections.BrokerConnection via;
        try
        {
            HeartbeatResponse response;
            (response, _, via) = await _channel.SendAsync<HeartbeatResponse>(ApiKey.Heartbeat, v => new HeartbeatRequest
            {
                GroupId = _groupId,
                GenerationId = generation,
                MemberId = memberId,
                GroupInstanceId = v >= 3 ? _instanceId : null,
            }, cts.Token, timeout).ConfigureAwait(false);
            error = (ErrorCode)response.ErrorCode;
        }
        catch (Exception e) when (!token.IsCancellationRequested && (e is OperationCanceledException || IsRetriableRequestFailure(e, token)))
        {
            _log.LogDebug("Group {Group}: heartbeat failed: {Error}", _groupId, e.Message);
            CheckSession(generation, memberId);
            lock (_gate) _nextHeartbeat = Stopwatch.GetTimestamp() + Ticks(RetryBackoff);
            return TimeSpan.Zero;
        }

        Exception? fatal = null;
        var coordinatorGone = false;
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            _nextHeartbeat = now + Ticks(_options.HeartbeatInterval);
            if (_generation != generation || _memberId != memberId || _state != ClassicState.Stable) return TimeSpan.Zero; // stale answer
            switch (error)
            {
                case ErrorCode.None:
                    _lastHeartbeatOk = now;
                    break;
                case ErrorCode.RebalanceInProgress:
                    _lastHeartbeatOk = now;
                    RequestRejoinLocked("the group is rebalancing");
                    break;
                case ErrorCode.IllegalGeneration or ErrorCode.UnknownMemberId:
                    ResetGenerationLocked($"a heartbeat was answered {ErrorCodes.KafkaName(error)}");
                    break;
                case ErrorCode.FencedInstanceId:
                    fatal = new KafkaBrokerException(error, $"Another consumer with GroupInstanceId '{_instanceId}' joined group '{_groupId}' and fenced this one (FENCED_INSTANCE_ID).");
                    // Recorded with the state change, under the same lock, so no poll sees an unjoined member without
                    // its fatal error (and rejoins once more).
                    _fatal ??= ExceptionDispatchInfo.Capture(fatal);
                    _state = ClassicState.Unjoined;
                    break;
                case ErrorCode.CoordinatorNotAvailable or ErrorCode.NotCoordinator:
                    coordinatorGone = true;
                    _nextHeartbeat = now + Ticks(RetryBackoff);
                    break;
                case ErrorCode.GroupAuthorizationFailed:
                    Defer(new KafkaAuthorizationException($"Not authorized to heartbeat in group '{_groupId}' (GROUP_AUTHORIZATION_FAILED)."));
                    _nextHeartbeat = now + Ticks(RetryBackoff);
                    break;
                default:
                    _log.LogWarning("Group {Group}: heartbeat answered {Error}; retrying.", _groupId, ErrorCodes.KafkaName(error));
                    _nextHeartbeat = now + Ticks(RetryBackoff);
                    break;
            }
        }
        if (coordinatorGone) _channel.MarkUnknown(via, $"a heartbeat was answered {ErrorCodes.KafkaName(error)}");
        if (fatal is not null) _log.LogError("Group {Group}: {Error} The consumer cannot continue in the group.", _groupId, fatal.Message);
        if (error != ErrorCode.None) CheckSession(generation, memberId);
        return TimeSpan.Zero;
    }

    /// <summary>No heartbeat answered for a whole session: the coordinator is presumed gone and is rediscovered.</summary>
    private void CheckSession(int generation, string memberId)
    {
        lock (_gate)
        {
            if (_generation != generation || _memberId != memberId) return;
            if (Stopwatch.GetElapsedTime(_lastHeartbeatOk) < _options.SessionTimeout) return;
            _lastHeartbeatOk = Stopwatch.GetTimestamp();
        }
        _channel.MarkUnknown(null, "no heartbeat was answered within the session timeout");
    }

    /// <summary>LeaveGroup for a dynamic member (static members never send it: KIP-345). Errors are logged only.</summary>
    private async Task SendLeaveGroupAsync(string memberId, string reason, TimeSpan timeout)
    {
        if (memberId.Length == 0) return;
        if (_instanceId is not null)
        {
            _log.LogInformation("Group {Group}: static member {InstanceId} does not send LeaveGroup ({Reason}); the group notices after the session timeout.",
                _groupId, _instanceId, reason);
            return;
        }
        if (timeout <= TimeSpan.Zero) timeout = TimeSpan.FromMilliseconds(1);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            _log.LogInformation("Group {Group}: member {MemberId} sends LeaveGroup: {Reason}.", _groupId, memberId, reason);
            var (response, version, _) = await _channel.SendAsync<LeaveGroupResponse>(ApiKey.LeaveGroup, v =>
            {
                var request = new LeaveGroupRequest { GroupId = _groupId };
                if (v >= 3)
                {
                    request.Members.Add(new LeaveGroupRequest.MemberIdentity { MemberId = memberId, Reason = v >= 5 ? reason : null });
                }
                else
                {
                    request.MemberId = memberId;
                }
                return request;
            }, cts.Token, timeout).ConfigureAwait(false);
            var error = (ErrorCode)response.ErrorCode;
            if (error == ErrorCode.None && version >= 3) error = response.Members.Select(m => (ErrorCode)m.ErrorCode).FirstOrDefault(e => e != ErrorCode.None);
            if (error != ErrorCode.None)
                _log.LogInformation("Group {Group}: LeaveGroup answered {Error} (ignored).", _groupId, ErrorCodes.KafkaName(error));
        }
        catch (Exception e)
        {
            _log.LogInformation("Group {Group}: LeaveGroup failed ({Error}); the group notices after the session timeout.", _groupId, e.Message);
        }
    }
}
