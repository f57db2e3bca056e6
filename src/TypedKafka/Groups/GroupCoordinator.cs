using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using TypedKafka.Groups.Classic;
using TypedKafka.Groups.Kip848;
using TypedKafka.Metadata;
using TypedKafka.Offsets;
using static TypedKafka.Groups.GroupTiming;

namespace TypedKafka.Groups;

/// <summary>
/// The consumer's side of group membership (issue #5): finds the group coordinator, joins the group with the classic
/// protocol (JoinGroup/SyncGroup/Heartbeat, client-side assignors, eager or cooperative rebalancing) or the KIP-848
/// protocol (ConsumerGroupHeartbeat, server-side assignment), tells the consumer (<see cref="IGroupMember"/>) and the
/// application (<see cref="IConsumerRebalanceListener"/>) about assignment changes, and commits and fetches offsets.
/// </summary>
/// <remarks>
/// <para>Threads: the caller drives joins, listener callbacks and auto-commit from <see cref="PollAsync"/> (and
/// <see cref="UnsubscribeAsync"/> / <see cref="CloseAsync"/>); the JoinGroup/SyncGroup exchange runs as a task that
/// polls await with their own time limit, so a poll returns on time while a rebalance is still under way; one
/// heartbeat loop per coordinator sends heartbeats, enforces <see cref="ConsumerOptions.MaxPollInterval"/> and records
/// what the caller must do next; one commit loop (<see cref="OffsetCommitter"/>) sends every commit in order.</para>
/// <para>Locks: <c>_gate</c> guards the membership state (generation or epoch, member id, flags) shared with the
/// heartbeat loop and the commit loop; it is never held across an await or a call into the member or the listener.
/// The caller-only state (owned partitions, the join task) needs no lock: one logical caller at a time.</para>
/// </remarks>
internal sealed class GroupCoordinator : IMembershipHost, IAsyncDisposable
{
    private static readonly IReadOnlySet<string> NoTopics = new HashSet<string>(StringComparer.Ordinal);

    private readonly ConsumerOptions _options;
    private readonly MetadataManager _metadata;
    private readonly IGroupMember _member;
    private readonly ILogger _log;
    private readonly string _groupId;
    private readonly string? _instanceId;
    private readonly GroupContext _context;
    private readonly IGroupMembership _membership;
    private readonly CoordinatorChannel _channel;
    private readonly OffsetCommitter _committer;
    private readonly object _gate = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly SemaphoreSlim _heartbeatWake = new(0, int.MaxValue);
    private Task? _heartbeatLoop;

    // Subscription: written by the caller under _gate; the heartbeat loop reads it (KIP-848 sends the topic names).
    private IReadOnlySet<string> _subscription = NoTopics;
    private Regex? _pattern;
    private IConsumerRebalanceListener? _listener;
    private bool _subscribed;
    private long _subscriptionVersion;
    private long _patternCheckedVersion = -1;
    private long _nextMetadataRefresh;

    // Caller-only: the partitions this coordinator has given the member.
    private readonly HashSet<TopicPartition> _owned = [];

    // Poll bookkeeping.
    private long _lastPoll = Stopwatch.GetTimestamp();
    private ExceptionDispatchInfo? _fatal;
    private Exception? _deferred;
    private readonly List<Exception> _listenerErrors = [];
    private long _nextAutoCommit;
    private Task? _autoCommit;
    private int _closed;
    private Task? _teardown; // an unsubscribe that outlived its timeout, still finishing
    private Task? _shutdown;

    public GroupCoordinator(ConsumerOptions options, MetadataManager metadata, IGroupMember member, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(member);
        if (string.IsNullOrWhiteSpace(options.GroupId))
            throw new ArgumentException("A group coordinator needs ConsumerOptions.GroupId.", nameof(options));
        GroupOptionsValidation.Validate(options);
        _options = options;
        _metadata = metadata;
        _member = member;
        _log = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _groupId = options.GroupId;
        _instanceId = options.GroupInstanceId;
        _channel = new CoordinatorChannel(options, metadata, _log, _groupId);
        _committer = new OffsetCommitter(options, _channel, _log, _groupId, CurrentCommitIdentity, (error, used) => _membership!.OnCommitGroupError(error, used));
        _nextAutoCommit = Stopwatch.GetTimestamp() + Ticks(options.AutoCommitInterval);
        _context = new GroupContext
        {
            Options = options,
            Metadata = metadata,
            Log = _log,
            GroupId = _groupId,
            InstanceId = _instanceId,
            Channel = _channel,
            Committer = _committer,
            Gate = _gate,
            Closing = _closing.Token,
        };
        _membership = options.GroupProtocol == GroupProtocol.Consumer
            ? new Kip848Membership(_context, this)
            : new ClassicMembership(_context, this);
    }

    /// <summary>The group this coordinator serves.</summary>
    public string GroupId => _groupId;

    /// <summary>The coordinator broker currently connected to (null while unknown).</summary>
    internal CoordinatorChannel Channel => _channel;

    /// <summary>The topics subscribed to: the explicit list, or the topics the pattern matches now; empty when none.</summary>
    public IReadOnlySet<string> Subscription
    {
        get
        {
            lock (_gate) return _subscribed ? _subscription : NoTopics;
        }
    }

    /// <summary>True when the member has a current assignment that the caller has applied.</summary>
    public bool IsStable
    {
        get
        {
            lock (_gate) return _membership.IsStableLocked();
        }
    }

    /// <summary>The classic generation or the KIP-848 member epoch (-1 / 0 when not a member).</summary>
    public int Generation
    {
        get
        {
            lock (_gate) return _membership.GenerationLocked;
        }
    }

    /// <summary>The member id the coordinator gave (or this member chose, KIP-848 v1); empty before the first join.</summary>
    public string MemberId
    {
        get
        {
            lock (_gate) return _membership.MemberIdLocked;
        }
    }

    /// <summary>The partitions this coordinator has assigned to the member.</summary>
    internal IReadOnlyCollection<TopicPartition> Owned => [.. _owned];

    // ------------------------------------------------------------------ what the membership protocol reads

    IReadOnlySet<string> IMembershipHost.SubscriptionLocked => _subscription;

    bool IMembershipHost.SubscribedLocked => _subscribed;

    bool IMembershipHost.HasPatternLocked => _pattern is not null;

    IReadOnlySet<TopicPartition> IMembershipHost.Owned => _owned;

    TimeSpan IMembershipHost.SinceLastPoll => SinceLastPoll;

    IReadOnlyDictionary<TopicPartition, OffsetAndMetadata> IMembershipHost.ConsumedOffsets() => _member.ConsumedOffsets();

    void IMembershipHost.SetSubscribedTopics(IReadOnlyCollection<string> topics, bool allTopics) => _member.SetSubscribedTopics(topics, allTopics);

    void IMembershipHost.SetFatalLocked(Exception error) => _fatal ??= ExceptionDispatchInfo.Capture(error);

    void IMembershipHost.ThrowIfFatal() => _fatal?.Throw();

    // ------------------------------------------------------------------ subscription

    /// <summary>Subscribes to <paramref name="topics"/>, replacing any previous subscription (and listener). An empty
    /// collection means no subscription: the next poll leaves the group.</summary>
    public void Subscribe(IReadOnlyCollection<string> topics, IConsumerRebalanceListener? listener)
    {
        ArgumentNullException.ThrowIfNull(topics);
        ThrowIfClosed();
        foreach (var topic in topics)
        {
            if (string.IsNullOrWhiteSpace(topic)) throw new ArgumentException("Topic names must not be empty.", nameof(topics));
        }
        var set = new HashSet<string>(topics, StringComparer.Ordinal);
        lock (_gate)
        {
            _subscriptionVersion++;
            _pattern = null;
            _listener = listener;
            _subscription = set;
            _subscribed = set.Count > 0;
            SubscriptionChangedLocked();
        }
        _member.SetSubscribedTopics(set, allTopics: false);
        EnsureHeartbeatLoop();
        WakeHeartbeat();
    }

    /// <summary>Subscribes to every topic whose name matches <paramref name="pattern"/> (re-evaluated when the
    /// cluster view changes), replacing any previous subscription.</summary>
    public void Subscribe(Regex pattern, IConsumerRebalanceListener? listener)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ThrowIfClosed();
        pattern = WholeName(pattern);
        var matched = Match(pattern, _metadata.Current, _options.ExcludeInternalTopics);
        lock (_gate)
        {
            _subscriptionVersion++;
            _pattern = pattern;
            _listener = listener;
            _subscription = matched;
            _subscribed = true;
            _patternCheckedVersion = _metadata.Current.Version;
            SubscriptionChangedLocked();
        }
        _member.SetSubscribedTopics(matched, allTopics: true);
        EnsureHeartbeatLoop();
        WakeHeartbeat();
    }

    /// <summary>Revokes the assignment (listener), leaves the group and forgets the subscription, within
    /// <see cref="ConsumerOptions.RequestTimeout"/> (the leave timeout): when a listener or the coordinator takes longer,
    /// the subscription is forgotten at once and the rest of the leave finishes in the background (the next poll waits
    /// for it before it does anything else).</summary>
    public async ValueTask UnsubscribeAsync(CancellationToken ct)
    {
        ThrowIfClosed();
        var timeout = _options.RequestTimeout;
        var deadline = Stopwatch.GetTimestamp() + Ticks(timeout);
        long version;
        lock (_gate) version = _subscriptionVersion;
        var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        var work = UnsubscribeCoreAsync(version, timeout, cts.Token);
        _ = work.ContinueWith(_ => cts.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        _teardown = work;
        if (!await WaitUntilAsync(work, deadline, ct).ConfigureAwait(false))
        {
            _log.LogWarning("Group {Group}: unsubscribing took longer than the leave timeout ({Timeout} ms); the subscription is gone and the leave finishes in the background.",
                _groupId, (long)timeout.TotalMilliseconds);
            ForgetSubscription(version);
            return;
        }
        await work.ConfigureAwait(false);
    }

    private async Task UnsubscribeCoreAsync(long version, TimeSpan timeout, CancellationToken ct)
    {
        await AbortRebalanceAsync().ConfigureAwait(false);
        try
        {
            await LeaveAsync("the consumer unsubscribed", timeout, commitFirst: true, ct).ConfigureAwait(false);
        }
        finally
        {
            ForgetSubscription(version);
        }
        ThrowListenerErrors();
    }

    /// <summary>Forgets the subscription unless a newer one replaced it meanwhile (a leave that outlived its timeout).</summary>
    private void ForgetSubscription(long version)
    {
        lock (_gate)
        {
            if (_subscriptionVersion != version) return;
            _subscribed = false;
            _subscription = NoTopics;
            _pattern = null;
            _listener = null;
        }
        _member.SetSubscribedTopics([], allTopics: false);
    }

    /// <summary>The pattern anchored at both ends: a pattern subscription matches whole topic names, as the Java
    /// client's <c>Pattern.matcher(topic).matches()</c> does ("metrics-.*" does not match "old-metrics-a").</summary>
    private static Regex WholeName(Regex pattern) =>
        // Under IgnorePatternWhitespace a trailing '#' comment would swallow the closing parenthesis: end it with a newline.
        new(@"\A(?:" + pattern + ((pattern.Options & RegexOptions.IgnorePatternWhitespace) != 0 ? "\n" : "") + @")\z", pattern.Options, pattern.MatchTimeout);

    private static IReadOnlySet<string> Match(Regex pattern, ClusterMetadata view, bool excludeInternal)
    {
        var matched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var topic in view.Topics.Values)
        {
            if (excludeInternal && (topic.IsInternal || topic.Name.StartsWith("__", StringComparison.Ordinal))) continue;
            if (pattern.IsMatch(topic.Name)) matched.Add(topic.Name);
        }
        return matched;
    }

    /// <summary>Re-evaluates a pattern subscription against a newer cluster view; a changed set of topics is a new
    /// subscription (classic: rejoin; KIP-848: the next heartbeat sends the names).</summary>
    private void UpdatePatternSubscription()
    {
        Regex? pattern;
        lock (_gate) pattern = _pattern;
        if (pattern is null) return;
        var view = _metadata.Current;
        if (view.Version == _patternCheckedVersion) return;
        _patternCheckedVersion = view.Version;
        var matched = Match(pattern, view, _options.ExcludeInternalTopics);
        bool changed;
        lock (_gate)
        {
            changed = !matched.SetEquals(_subscription);
            if (changed)
            {
                _log.LogInformation("The pattern subscription of group {Group} now matches {Topics}.", _groupId, string.Join(", ", matched.Order(StringComparer.Ordinal)));
                _subscription = matched;
                SubscriptionChangedLocked();
            }
        }
        if (changed)
        {
            _member.SetSubscribedTopics(_membership.TopicsForMetadata(matched), allTopics: true);
            WakeHeartbeat();
        }
    }

    private void SubscriptionChangedLocked() => _membership.SubscriptionChangedLocked();

    /// <summary>Refreshes the cluster view when it is due (subscribed topics, or all topics for a pattern), within the
    /// poll's time; failures are left to the next poll.</summary>
    private async ValueTask RefreshMetadataIfDueAsync(long deadline, CancellationToken ct)
    {
        if (!_metadata.NeedsRefresh) return;
        // A subscribed topic that does not exist keeps the view "due"; ask at most every RetryBackoff (200 ms at least).
        var now = Stopwatch.GetTimestamp();
        if (now < _nextMetadataRefresh) return;
        _nextMetadataRefresh = now + Ticks(RetryBackoff > TimeSpan.FromMilliseconds(200) ? RetryBackoff : TimeSpan.FromMilliseconds(200));
        var left = Remaining(deadline);
        if (left <= TimeSpan.Zero) return;
        try
        {
            await _metadata.RefreshAsync(ct).WaitAsync(left, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        catch (Exception e) when (e is KafkaException or IOException or ObjectDisposedException)
        {
            _log.LogDebug("Metadata refresh for group {Group} failed: {Error}", _groupId, e.Message);
        }
    }

    // ------------------------------------------------------------------ poll

    /// <summary>
    /// Called at the start of every caller poll: finds the coordinator, (re)joins and syncs when needed, runs listener
    /// callbacks (awaited, here), starts an auto-commit when due and records the poll time for MaxPollInterval.
    /// Returns within <paramref name="timeout"/> even when the member is not stable yet (listener callbacks excepted).
    /// </summary>
    /// <exception cref="KafkaBrokerException">Fatal: FENCED_INSTANCE_ID (another instance with the same
    /// GroupInstanceId), or a join error retrying cannot fix (thrown once; the next poll tries again).</exception>
    /// <exception cref="KafkaException">A rebalance listener threw (inner exception); the rebalance still completed.</exception>
    public async ValueTask PollAsync(TimeSpan timeout, CancellationToken ct)
    {
        ThrowIfClosed();
        _fatal?.Throw();
        var deadline = Stopwatch.GetTimestamp() + Ticks(timeout < TimeSpan.Zero ? TimeSpan.Zero : timeout);
        RecordPoll();
        if (Interlocked.Exchange(ref _deferred, null) is { } deferred) throw deferred;
        if (_teardown is { } teardown)
        {
            if (!await WaitUntilAsync(teardown, deadline, ct).ConfigureAwait(false)) return; // the last leave is still finishing
            _teardown = null;
        }
        try
        {
            bool subscribed;
            lock (_gate) subscribed = _subscribed;
            if (subscribed)
            {
                await RefreshMetadataIfDueAsync(deadline, ct).ConfigureAwait(false);
                UpdatePatternSubscription();
            }
            await _membership.PollAsync(subscribed, deadline, ct).ConfigureAwait(false);
            MaybeAutoCommit();
        }
        finally
        {
            RecordPoll();
        }
        _fatal?.Throw();
        ThrowListenerErrors();
    }

    private void RecordPoll() => Interlocked.Exchange(ref _lastPoll, Stopwatch.GetTimestamp());

    private TimeSpan SinceLastPoll => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastPoll));

    public void SetFatal(Exception error)
    {
        lock (_gate)
        {
            if (_fatal is not null) return;
            _fatal = ExceptionDispatchInfo.Capture(error);
        }
        _log.LogError("Group {Group}: {Error} The consumer cannot continue in the group.", _groupId, error.Message);
    }

    public void Defer(Exception error) => Interlocked.CompareExchange(ref _deferred, error, null);

    // ------------------------------------------------------------------ listener and member

    private IConsumerRebalanceListener? Listener
    {
        get { lock (_gate) return _listener; }
    }

    /// <summary>Revoked partitions: the listener hears first (offsets may still be committed), then the member drops them.</summary>
    public async ValueTask RevokeAsync(IReadOnlyCollection<TopicPartition> partitions, CancellationToken ct)
    {
        if (partitions.Count == 0) return;
        var list = Sorted(partitions);
        _log.LogInformation("Group {Group}: revoking {Partitions}.", _groupId, Describe(list));
        await InvokeListenerAsync(l => l.OnPartitionsRevokedAsync(list, ct), "OnPartitionsRevokedAsync", ct).ConfigureAwait(false);
        _member.RemovePartitions(list);
        _owned.ExceptWith(list);
        OwnedChanged();
    }

    /// <summary>Lost partitions (fenced, generation reset, poll timeout): the listener hears, the member drops them,
    /// no commit is attempted.</summary>
    public async ValueTask LoseAsync(CancellationToken ct)
    {
        if (_owned.Count == 0) return;
        var list = Sorted(_owned);
        _log.LogWarning("Group {Group}: lost {Partitions} (this member's generation is no longer valid; another member may own them now).",
            _groupId, Describe(list));
        await InvokeListenerAsync(l => l.OnPartitionsLostAsync(list, ct), "OnPartitionsLostAsync", ct).ConfigureAwait(false);
        _member.RemovePartitions(list);
        _owned.ExceptWith(list);
        OwnedChanged();
    }

    /// <summary>Added partitions: the member gets them first (no position yet), then the listener hears (even when empty).</summary>
    public async ValueTask AssignAsync(IReadOnlyCollection<TopicPartition> added, CancellationToken ct)
    {
        var list = Sorted(added);
        if (list.Count > 0)
        {
            _member.AddPartitions(list);
            _owned.UnionWith(list);
            OwnedChanged();
        }
        await InvokeListenerAsync(l => l.OnPartitionsAssignedAsync(list, ct), "OnPartitionsAssignedAsync", ct).ConfigureAwait(false);
    }

    private async ValueTask InvokeListenerAsync(Func<IConsumerRebalanceListener, ValueTask> call, string what, CancellationToken ct)
    {
        var listener = Listener;
        if (listener is null) return;
        try
        {
            await call(listener).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            _log.LogError(e, "The rebalance listener's {Callback} of group {Group} threw; the rebalance continues and the error is rethrown from the poll.", what, _groupId);
            _listenerErrors.Add(e);
        }
    }

    private void ThrowListenerErrors()
    {
        if (_listenerErrors.Count == 0) return;
        var first = _listenerErrors[0];
        _listenerErrors.Clear();
        throw new KafkaException($"A rebalance listener callback of group '{_groupId}' threw: {first.Message}", first);
    }

    private void OwnedChanged() => _membership.OwnedChanged();

    // ------------------------------------------------------------------ commits

    /// <summary>Commits and completes when the broker accepted every offset. Retriable errors are retried with backoff
    /// until <see cref="ConsumerOptions.RequestTimeout"/> passes (<see cref="KafkaTimeoutException"/>) or
    /// <paramref name="ct"/> fires.</summary>
    /// <exception cref="CommitFailedException">The group moved on (rebalance, generation reset) or the member is not
    /// part of an active group.</exception>
    public Task CommitAsync(IReadOnlyDictionary<TopicPartition, OffsetAndMetadata> offsets, CancellationToken ct)
    {
        ThrowIfClosed();
        return _committer.CommitAsync(offsets, null, ct);
    }

    /// <summary>Queues a commit and returns at once; the callback runs when it completes, in commit order.</summary>
    public void CommitInBackground(IReadOnlyDictionary<TopicPartition, OffsetAndMetadata> offsets,
        Action<IReadOnlyDictionary<TopicPartition, OffsetAndMetadata>, Exception?>? callback)
    {
        ThrowIfClosed();
        _ = _committer.CommitInBackground(offsets, callback);
    }

    /// <summary>The committed offsets of <paramref name="partitions"/> (null where there is none).</summary>
    public Task<IReadOnlyDictionary<TopicPartition, OffsetAndMetadata?>> FetchCommittedAsync(IReadOnlyCollection<TopicPartition> partitions, CancellationToken ct)
    {
        ThrowIfClosed();
        return _committer.FetchAsync(partitions, ct);
    }

    /// <summary>Who commits now. Subscribed members must be in an active generation; otherwise (assign mode) the
    /// commit carries generation -1 and member id "".</summary>
    private CommitIdentity CurrentCommitIdentity()
    {
        lock (_gate)
        {
            if (_membership.CommitIdentityLocked(_subscribed) is { } identity) return identity;
            throw new CommitFailedException(
                $"The commit cannot be completed: this consumer is subscribed but not part of an active generation of group '{_groupId}' " +
                "(it is rebalancing, or it was removed from the group, e.g. after a session or poll timeout). Poll to rejoin, then commit the offsets of the partitions it owns then.");
        }
    }

    /// <summary>Starts a background auto-commit of the consumed offsets when <see cref="ConsumerOptions.AutoCommitInterval"/>
    /// has passed (never two at once).</summary>
    private void MaybeAutoCommit()
    {
        if (!_options.EnableAutoCommit) return;
        var now = Stopwatch.GetTimestamp();
        if (now < _nextAutoCommit) return;
        if (_autoCommit is { IsCompleted: false }) return;
        bool subscribed;
        lock (_gate) subscribed = _subscribed;
        if (subscribed && !IsStable) return;
        _nextAutoCommit = now + Ticks(_options.AutoCommitInterval);
        var offsets = _member.ConsumedOffsets();
        if (offsets.Count == 0) return;
        var timeout = _options.AutoCommitInterval > TimeSpan.FromSeconds(1) ? _options.AutoCommitInterval : TimeSpan.FromSeconds(1);
        _autoCommit = _committer.CommitInBackground(offsets, (committed, error) =>
        {
            if (error is null) _log.LogDebug("Group {Group}: auto-committed {Offsets}.", _groupId, DescribeOffsets(committed));
            else _log.LogWarning("Group {Group}: auto-commit of {Offsets} failed: {Error}", _groupId, DescribeOffsets(committed), error.Message);
        }, timeout);
    }

    /// <summary>Commits the consumed offsets of <paramref name="partitions"/> before they are revoked (auto-commit only),
    /// waiting at most <paramref name="timeout"/>; failures are logged (the rebalance goes on).</summary>
    public async ValueTask CommitBeforeRevocationAsync(IReadOnlyCollection<TopicPartition> partitions, TimeSpan timeout, CancellationToken ct)
    {
        if (!_options.EnableAutoCommit || partitions.Count == 0) return;
        var wanted = partitions as IReadOnlySet<TopicPartition> ?? new HashSet<TopicPartition>(partitions);
        var offsets = _member.ConsumedOffsets().Where(o => wanted.Contains(o.Key)).ToDictionary(o => o.Key, o => o.Value);
        if (offsets.Count == 0) return;
        try
        {
            await _committer.CommitAsync(offsets, timeout, ct).WaitAsync(timeout + TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            _log.LogWarning("Group {Group}: committing {Offsets} before revoking them failed: {Error}", _groupId, DescribeOffsets(offsets), e.Message);
        }
    }

    private static string DescribeOffsets(IReadOnlyDictionary<TopicPartition, OffsetAndMetadata> offsets) =>
        string.Join(", ", offsets.OrderBy(o => o.Key.Topic, StringComparer.Ordinal).ThenBy(o => o.Key.Partition).Take(20).Select(o => $"{o.Key}@{o.Value.Offset}"))
        + (offsets.Count > 20 ? ", ..." : "");

    // ------------------------------------------------------------------ heartbeat loop

    public void EnsureHeartbeatLoop()
    {
        lock (_gate)
        {
            if (_heartbeatLoop is not null || _closing.IsCancellationRequested) return;
            _heartbeatLoop = Task.Run(HeartbeatLoopAsync);
        }
    }

    public void WakeHeartbeat()
    {
        try
        {
            _heartbeatWake.Release();
        }
        catch (ObjectDisposedException)
        {
        }
        catch (SemaphoreFullException)
        {
        }
    }

    private async Task HeartbeatLoopAsync()
    {
        var token = _closing.Token;
        while (!token.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                wait = await _membership.HeartbeatStepAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _log.LogWarning(e, "The heartbeat loop of group {Group} failed; retrying.", _groupId);
                wait = RetryBackoff;
            }
            if (wait == TimeSpan.Zero) continue;
            try
            {
                await _heartbeatWake.WaitAsync(wait < TimeSpan.Zero ? Timeout.InfiniteTimeSpan : Clamp(wait), token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static TimeSpan Clamp(TimeSpan wait) => wait > TimeSpan.FromDays(1) ? TimeSpan.FromDays(1) : wait;

    private TimeSpan RetryBackoff => _context.RetryBackoff;

    /// <summary>The poll-timeout warning: says that the member leaves, why, and with which interval.</summary>
    public void LogPollTimeout(TimeSpan elapsed, string memberId)
    {
        _log.LogWarning(
            "Consumer poll timeout has expired: PollAsync was not called for {Elapsed} ms, longer than MaxPollInterval ({MaxPollInterval} ms). " +
            "Member {MemberId} {Action} group {Group} so that its partitions can be reassigned; the next PollAsync rejoins. " +
            "If processing takes this long, raise MaxPollInterval or lower MaxPollRecords.",
            (long)elapsed.TotalMilliseconds, (long)_options.MaxPollInterval.TotalMilliseconds, memberId,
            _instanceId is null ? "is leaving" : "(static, so it sends no LeaveGroup) stops heartbeating in",
            _groupId);
    }

    // ------------------------------------------------------------------ close

    /// <summary>Commits the consumed offsets (when <paramref name="autoCommit"/> and auto-commit are on), revokes the
    /// assignment (listener), leaves the group (not for static members), and stops heartbeats and the commit loop, all
    /// within <paramref name="timeout"/> (what outlives it finishes in the background). Idempotent; errors are logged,
    /// not thrown, except listener errors.</summary>
    public async ValueTask CloseAsync(bool autoCommit, TimeSpan timeout)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        var deadline = Stopwatch.GetTimestamp() + Ticks(timeout < TimeSpan.Zero ? TimeSpan.Zero : timeout);
        var cts = new CancellationTokenSource(Remaining(deadline) + TimeSpan.FromMilliseconds(1));
        var work = CloseCoreAsync(autoCommit, deadline, cts.Token);
        _ = work.ContinueWith(_ => cts.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        if (!await WaitUntilAsync(work, deadline, CancellationToken.None).ConfigureAwait(false))
        {
            // A listener or a broker outlived the close timeout: stop the background loops now and return on time.
            _log.LogWarning("Group {Group}: close ran out of its {Timeout} ms; the rest of the teardown finishes in the background.",
                _groupId, (long)timeout.TotalMilliseconds);
            _ = ShutdownAsync().AsTask();
            return;
        }
        await work.ConfigureAwait(false);
    }

    private async Task CloseCoreAsync(bool autoCommit, long deadline, CancellationToken ct)
    {
        try
        {
            if (_teardown is { } teardown) await WaitUntilAsync(teardown, deadline, ct).ConfigureAwait(false);
            await AbortRebalanceAsync().ConfigureAwait(false);
            if (autoCommit && _options.EnableAutoCommit)
            {
                var offsets = _member.ConsumedOffsets();
                if (offsets.Count > 0 && CanCommitNow())
                {
                    try
                    {
                        await _committer.CommitAsync(offsets, Remaining(deadline), ct).ConfigureAwait(false);
                    }
                    catch (Exception e)
                    {
                        _log.LogWarning("Group {Group}: committing {Offsets} on close failed: {Error}", _groupId, DescribeOffsets(offsets), e.Message);
                    }
                }
            }
            try
            {
                await LeaveAsync("the consumer is closing", Remaining(deadline), commitFirst: false, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _log.LogWarning("Group {Group}: close ran out of time while leaving the group.", _groupId);
            }
            await CommitsSettledAsync(Remaining(deadline)).ConfigureAwait(false);
        }
        finally
        {
            await ShutdownAsync().ConfigureAwait(false);
        }
        ThrowListenerErrors();
    }

    private bool CanCommitNow()
    {
        try
        {
            CurrentCommitIdentity();
            return true;
        }
        catch (CommitFailedException)
        {
            return false;
        }
    }

    /// <summary>Waits, at most <paramref name="timeout"/>, for every commit queued so far (<c>CommitInBackground</c>
    /// included). Called before a LeaveGroup: sent after it, the coordinator would refuse them, the member and its
    /// generation being gone.</summary>
    public async ValueTask CommitsSettledAsync(TimeSpan timeout)
    {
        try
        {
            await _committer.WhenIdleAsync().WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _log.LogWarning("Group {Group}: commits were still pending after {Timeout} ms.", _groupId, (int)timeout.TotalMilliseconds);
        }
    }

    /// <summary>Leaves the group: revoke (or lose) the assignment, then LeaveGroup / a leave heartbeat.</summary>
    private ValueTask LeaveAsync(string reason, TimeSpan timeout, bool commitFirst, CancellationToken ct) =>
        _membership.LeaveAsync(reason, timeout, commitFirst, ct);

    /// <summary>Cancels a join or sync in flight and waits for it to stop.</summary>
    private ValueTask AbortRebalanceAsync() => _membership.AbortRebalanceAsync();

    /// <summary>Test hook: stops heartbeats and drops the coordinator connection without leaving, as if the process
    /// died; the group notices only when the session times out.</summary>
    internal async ValueTask AbandonAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        _membership.CancelRebalance();
        await ShutdownAsync().ConfigureAwait(false);
    }

    /// <summary>Stops the heartbeat loop, the commit loop and the coordinator connection; runs once however often it
    /// is called (a close that ran out of time starts it, and the teardown finishing later calls it again).</summary>
    private ValueTask ShutdownAsync()
    {
        lock (_gate) _shutdown ??= ShutdownOnceAsync();
        return new ValueTask(_shutdown);
    }

    private async Task ShutdownOnceAsync()
    {
        await Task.Yield(); // never under _gate
        lock (_gate) _closing.Cancel();
        if (_heartbeatLoop is { } loop)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // the loop logs its own failures
            }
        }
        await _committer.DisposeAsync().ConfigureAwait(false);
        await _channel.DisposeAsync().ConfigureAwait(false);
        if (_membership.RebalanceInFlight is { } join)
        {
            try
            {
                await join.ConfigureAwait(false);
            }
            catch (Exception)
            {
            }
        }
    }

    public ValueTask DisposeAsync() => CloseAsync(autoCommit: true, TimeSpan.FromSeconds(30));

    private void ThrowIfClosed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);
}
