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

    /// <summary>One group's state.</summary>
    public sealed record GroupStatus(string GroupId, bool IsReady, IReadOnlyCollection<TopicPartition> Assignment, Exception? Failure);

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
            lock (_gate) return [.. _groups.Values];
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
