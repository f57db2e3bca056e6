using System.Text.RegularExpressions;
using TypedKafka.Groups;

namespace TypedKafka;

public sealed partial class KafkaConsumer<TKey, TValue>
{
    private static readonly IReadOnlySet<string> NoTopics = new HashSet<string>(StringComparer.Ordinal);
    private GroupCoordinator? _group;
    private bool _subscribed;

    /// <summary>How long a poll waits for data before it gives the group coordinator a turn (rejoin, listener
    /// callbacks, auto-commit).</summary>
    private TimeSpan GroupPollInterval => _group is null ? TimeSpan.FromSeconds(1) : TimeSpan.FromMilliseconds(100);

    private bool HasSubscription => _subscribed;

    private static void ValidateGroupOptions(ConsumerOptions options)
    {
        if (options.GroupId is not null) GroupOptionsValidation.Validate(options);
    }

    private void InitializeGroup()
    {
        if (string.IsNullOrEmpty(_options.GroupId)) return;
        var group = new GroupCoordinator(_options, _core.Metadata, _core, _core.Log);
        _group = group;
        _core.CommittedLookup = (partitions, ct) => group.FetchCommittedAsync(partitions, ct);
    }

    private GroupCoordinator RequireGroup(string operation) =>
        _group ?? throw new InvalidOperationException($"{operation} needs a consumer group: set ConsumerOptions.GroupId.");

    /// <summary>Subscribes to <paramref name="topics"/> with group management, replacing any previous subscription; the
    /// group's coordinator assigns partitions on the following polls. An empty list is the same as <see cref="Unsubscribe"/>.</summary>
    /// <exception cref="InvalidOperationException">Partitions were assigned with <see cref="Assign"/>, or there is no <see cref="ConsumerOptions.GroupId"/>.</exception>
    public void Subscribe(IEnumerable<string> topics, IConsumerRebalanceListener? listener = null)
    {
        ArgumentNullException.ThrowIfNull(topics);
        ThrowIfClosed();
        var list = topics.Distinct(StringComparer.Ordinal).ToList();
        foreach (var topic in list)
        {
            if (string.IsNullOrWhiteSpace(topic)) throw new ArgumentException("A topic name is empty.", nameof(topics));
        }
        if (list.Count == 0)
        {
            Unsubscribe();
            return;
        }
        var group = RequireGroup("Subscribe");
        if (_assigned) throw new InvalidOperationException("Subscribe cannot be used while partitions are assigned manually: call Unsubscribe (or Assign with none) first.");
        CloseOpenBatch();
        group.Subscribe(list, listener);
        _subscribed = true;
        _core.Start();
    }

    /// <summary>Subscribes to every topic whose whole name matches <paramref name="pattern"/>; re-evaluated as topics
    /// appear or disappear, which rebalances the group.</summary>
    public void Subscribe(Regex pattern, IConsumerRebalanceListener? listener = null)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ThrowIfClosed();
        var group = RequireGroup("Subscribe");
        if (_assigned) throw new InvalidOperationException("Subscribe cannot be used while partitions are assigned manually: call Unsubscribe (or Assign with none) first.");
        CloseOpenBatch();
        group.Subscribe(pattern, listener);
        _subscribed = true;
        _core.Start();
    }

    /// <summary>The subscribed topics (for a pattern, the topics it matches now); empty when there is no subscription.</summary>
    public IReadOnlySet<string> Subscription => _subscribed && _group is { } group ? group.Subscription : NoTopics;

    /// <summary>Ends the subscription (revoking partitions through the listener and leaving the group) or the manual
    /// assignment. Blocks until the group has been left, at most <see cref="ConsumerOptions.RequestTimeout"/> (the leave
    /// timeout: a listener or coordinator slower than that finishes in the background, and the next poll waits for it);
    /// <see cref="UnsubscribeAsync"/> is the asynchronous form.</summary>
    public void Unsubscribe() => Task.Run(() => UnsubscribeAsync().AsTask()).GetAwaiter().GetResult();

    /// <summary>The asynchronous form of <see cref="Unsubscribe"/>.</summary>
    public async ValueTask UnsubscribeAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        CloseOpenBatch();
        if (_subscribed && _group is { } group)
        {
            await group.UnsubscribeAsync(cancellationToken).ConfigureAwait(false);
        }
        _subscribed = false;
        _assigned = false;
        _core.SetAssignment([]);
        _core.SetSubscribedTopics([], allTopics: false);
    }

    /// <summary>Commits <paramref name="offsets"/> (by default the position of every assigned partition: the next
    /// offset to read) and waits for the broker to accept them.</summary>
    /// <exception cref="CommitFailedException">The group rebalanced and this member's generation is gone.</exception>
    public Task CommitAsync(IReadOnlyDictionary<TopicPartition, OffsetAndMetadata>? offsets = null, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        var group = RequireGroup("CommitAsync");
        CloseOpenBatch();
        var toCommit = offsets ?? _core.ConsumedOffsets();
        ValidateOffsets(toCommit);
        return toCommit.Count == 0 ? Task.CompletedTask : group.CommitAsync(toCommit, cancellationToken);
    }

    /// <summary>Starts a commit and returns at once; <paramref name="callback"/> runs when it completes (with the error
    /// when it failed). Callbacks run in the order the commits were made.</summary>
    public void CommitInBackground(IReadOnlyDictionary<TopicPartition, OffsetAndMetadata>? offsets = null,
        Action<IReadOnlyDictionary<TopicPartition, OffsetAndMetadata>, Exception?>? callback = null)
    {
        ThrowIfClosed();
        var group = RequireGroup("CommitInBackground");
        CloseOpenBatch();
        var toCommit = offsets ?? _core.ConsumedOffsets();
        ValidateOffsets(toCommit);
        if (toCommit.Count == 0)
        {
            callback?.Invoke(toCommit, null);
            return;
        }
        group.CommitInBackground(toCommit, callback);
    }

    /// <summary>The last committed offset of <paramref name="partition"/> for the group, or null when none.</summary>
    public async Task<OffsetAndMetadata?> CommittedAsync(TopicPartition partition, CancellationToken cancellationToken = default)
    {
        var all = await CommittedAsync([partition], cancellationToken).ConfigureAwait(false);
        return all.TryGetValue(partition, out var offset) ? offset : null;
    }

    /// <summary>The last committed offsets of <paramref name="partitions"/> for the group (null where none).</summary>
    public Task<IReadOnlyDictionary<TopicPartition, OffsetAndMetadata?>> CommittedAsync(IEnumerable<TopicPartition> partitions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        ThrowIfClosed();
        var group = RequireGroup("CommittedAsync");
        return group.FetchCommittedAsync([.. partitions.Distinct()], cancellationToken);
    }

    private static void ValidateOffsets(IReadOnlyDictionary<TopicPartition, OffsetAndMetadata> offsets)
    {
        foreach (var (partition, offset) in offsets)
        {
            ArgumentNullException.ThrowIfNull(offset, nameof(offsets));
            if (offset.Offset < 0) throw new ArgumentOutOfRangeException(nameof(offsets), offset.Offset, $"The offset to commit for {partition} is negative.");
        }
    }

    private ValueTask PollGroupAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _group is { } group ? group.PollAsync(timeout, cancellationToken) : ValueTask.CompletedTask;

    private ValueTask CloseGroupAsync(bool autoCommit, TimeSpan timeout) =>
        _group is { } group ? group.CloseAsync(autoCommit, timeout) : ValueTask.CompletedTask;
}
