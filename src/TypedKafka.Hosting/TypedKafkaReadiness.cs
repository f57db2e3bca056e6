namespace TypedKafka.Hosting;

/// <summary>
/// Whether the hosted consumers are running: each group's consumer is ready once it has joined its group and received
/// an assignment (possibly empty when the group has more members than partitions). Inject it to gate a readiness
/// probe, or await <see cref="WhenReadyAsync"/> in tests.
/// </summary>
public sealed class TypedKafkaReadiness
{
    private readonly object _gate = new();
    private readonly Dictionary<string, GroupStatus> _groups = new(StringComparer.Ordinal);
    private TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly Dictionary<string, Func<GroupStatus, GroupStatus>> _live = new(StringComparer.Ordinal);

    /// <summary>One group's state: whether it joined (<see cref="IsReady"/>), its assignment, the error that stopped it,
    /// and, while it runs, the records it holds fetched but not yet committable, the partitions it paused for
    /// backpressure and the oldest record that keeps failing.</summary>
    public sealed record GroupStatus(string GroupId, bool IsReady, IReadOnlyCollection<TopicPartition> Assignment, Exception? Failure)
    {
        /// <summary>Records fetched and not yet committable (bounded by <see cref="TypedKafkaOptions.MaxInFlightRecords"/>).</summary>
        public int RecordsInFlight { get; init; }

        /// <summary>Partitions paused because too many of their records are in flight.</summary>
        public IReadOnlyCollection<TopicPartition> Paused { get; init; } = [];

        /// <summary>The record (or batch, by its first offset) that has kept failing the longest, or null.</summary>
        public FailingRecord? OldestFailing { get; init; }

        /// <summary>How many times the group's consumer was rebuilt after a fatal error (<see cref="FatalErrorAction.Restart"/>).</summary>
        public int Restarts { get; init; }
    }

    /// <summary>A record whose handler keeps failing: where it is, since when, how many calls so far, the last error.</summary>
    public sealed record FailingRecord(TopicPartition Partition, long Offset, DateTimeOffset Since, int Attempts, string Error)
    {
        /// <summary>How long it has been failing.</summary>
        public TimeSpan FailingFor => DateTimeOffset.UtcNow - Since;
    }

    /// <summary>True when every group's consumer has an assignment and none has failed.</summary>
    public bool IsReady
    {
        get
        {
            lock (_gate) return _groups.Count > 0 && _groups.Values.All(g => g.IsReady && g.Failure is null);
        }
    }

    /// <summary>Every group's state.</summary>
    public IReadOnlyList<GroupStatus> Groups
    {
        get
        {
            List<(GroupStatus Status, Func<GroupStatus, GroupStatus>? Live)> groups;
            lock (_gate) groups = [.. _groups.Values.Select(g => (g, _live.GetValueOrDefault(g.GroupId)))];
            return [.. groups.Select(g => g.Live is null ? g.Status : g.Live(g.Status))];
        }
    }

    /// <summary>Completes when <see cref="IsReady"/> becomes true; throws when a group failed.</summary>
    public async Task WhenReadyAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                var failed = _groups.Values.FirstOrDefault(g => g.Failure is not null);
                if (failed is not null) throw new InvalidOperationException($"The consumer of group {failed.GroupId} failed: {failed.Failure!.Message}", failed.Failure);
                if (_groups.Count > 0 && _groups.Values.All(g => g.IsReady)) return;
                changed = _ready.Task;
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One group's state (null when no such group runs).</summary>
    public GroupStatus? Group(string groupId) => Groups.FirstOrDefault(g => g.GroupId == groupId);

    /// <summary>Adds the live figures of a running group to its reported state (null: the group stopped).</summary>
    internal void Live(string groupId, Func<GroupStatus, GroupStatus>? live)
    {
        lock (_gate)
        {
            if (live is null) _live.Remove(groupId);
            else _live[groupId] = live;
        }
    }

    internal void Report(GroupStatus status)
    {
        lock (_gate)
        {
            _groups[status.GroupId] = status;
            var changed = _ready;
            _ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            changed.TrySetResult();
        }
    }
}
