using TypedKafka.Fetching;

namespace TypedKafka.Consumer;

/// <summary>
/// What the consumer is assigned and subscribed to: every assigned partition's <see cref="PartitionState"/> (positions,
/// buffered fetches, errors) in fetch-rotation order, the topics the cluster view must cover, and the signal that wakes
/// a caller waiting for data. The <see cref="ConsumerCore"/>, the <see cref="Fetcher"/> and the
/// <see cref="Offsets.PositionResolver"/> all read and write it.
/// </summary>
/// <remarks>Everything here is guarded by <see cref="Gate"/>, the consumer's one partition lock: never held across an
/// await, and nothing else is locked inside it except <see cref="Metadata.MetadataManager"/>'s own lock.</remarks>
internal sealed class SubscriptionState
{
    private TaskCompletionSource _dataSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public object Gate { get; } = new();

    /// <summary>The assigned partitions by name.</summary>
    public Dictionary<TopicPartition, PartitionState> Partitions { get; } = [];

    /// <summary>The assigned partitions in the order fetches and the caller visit them.</summary>
    public List<PartitionState> Order { get; } = [];

    /// <summary>The subscribed topics (group mode), kept in the cluster view even before partitions are assigned.</summary>
    public HashSet<string> SubscribedTopics { get; } = new(StringComparer.Ordinal);

    /// <summary>True for a pattern subscription: the cluster view covers every topic.</summary>
    public bool SubscribeAll { get; set; }

    /// <summary>Nothing assigned and nothing subscribed: no metadata is needed.</summary>
    public bool IsIdleLocked => Order.Count == 0 && SubscribedTopics.Count == 0 && !SubscribeAll;

    /// <summary>Completes at the next <see cref="SignalDataLocked"/>.</summary>
    public Task DataSignalLocked => _dataSignal.Task;

    /// <summary>Tells a waiting caller that data, an error or a new position arrived.</summary>
    public void SignalDataLocked()
    {
        var signal = _dataSignal;
        _dataSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        signal.TrySetResult();
    }

    /// <summary>Adds partitions with no position: they start at the committed offset (when
    /// <paramref name="awaitCommitted"/>) or per <paramref name="reset"/>.</summary>
    public void AddLocked(IReadOnlyCollection<TopicPartition> partitions, AutoOffsetReset reset, bool awaitCommitted)
    {
        foreach (var partition in partitions)
        {
            var state = new PartitionState(partition);
            state.ResetPosition(reset, awaitCommitted);
            Partitions[partition] = state;
            Order.Add(state);
        }
    }

    /// <summary>Removes partitions; their state is invalidated so that answers still in flight for them are dropped.</summary>
    public void RemoveLocked(IReadOnlyCollection<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            if (!Partitions.Remove(partition, out var state)) continue;
            state.Invalidate();
            Order.Remove(state);
        }
    }

    public PartitionState StateFor(TopicPartition partition, string operation) =>
        Partitions.TryGetValue(partition, out var state)
            ? state
            : throw new InvalidOperationException($"{operation}: partition {partition} is not assigned to this consumer.");
}
