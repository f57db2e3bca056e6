using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using TypedKafka.Connections;
using TypedKafka.Groups;
using TypedKafka.Metadata;
using TypedKafka.Protocol;
using TypedKafka.Testing;

namespace TypedKafka.Tests.Groups;

/// <summary>Records every log line (formatted, with its level) so tests can assert what the coordinator said.</summary>
internal sealed class RecordingLogger : ILogger
{
    private readonly ConcurrentQueue<(LogLevel Level, string Text)> _lines = new();

    public IReadOnlyList<(LogLevel Level, string Text)> Lines => [.. _lines];

    public bool Contains(string fragment, LogLevel? level = null) =>
        _lines.Any(l => l.Text.Contains(fragment, StringComparison.Ordinal) && (level is null || l.Level == level));

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        _lines.Enqueue((logLevel, formatter(state, exception) + (exception is null ? "" : " | " + exception.Message)));
    }
}

/// <summary>A stand-in for the consumer: keeps the assignment the coordinator gives it, records every change, and
/// reports configurable consumed offsets. Its subscribed topics go to the metadata manager's wanted set.</summary>
internal sealed class FakeGroupMember(MetadataManager metadata) : IGroupMember
{
    private readonly object _gate = new();
    private readonly HashSet<TopicPartition> _assignment = [];
    private readonly List<string> _events = [];
    private Dictionary<TopicPartition, OffsetAndMetadata> _consumed = [];
    private IReadOnlyCollection<string> _topics = [];
    private bool _allTopics;

    public IReadOnlySet<TopicPartition> Assignment
    {
        get { lock (_gate) return new HashSet<TopicPartition>(_assignment); }
    }

    public IReadOnlyList<string> Events
    {
        get { lock (_gate) return [.. _events]; }
    }

    /// <summary>Sets the next offset to read of an owned partition (what auto-commit and close commit).</summary>
    public void SetConsumed(TopicPartition partition, long nextOffset)
    {
        lock (_gate)
        {
            _consumed = new Dictionary<TopicPartition, OffsetAndMetadata>(_consumed) { [partition] = new OffsetAndMetadata(nextOffset) };
        }
    }

    public IReadOnlyDictionary<TopicPartition, OffsetAndMetadata> ConsumedOffsets()
    {
        lock (_gate) return _consumed.Where(c => _assignment.Contains(c.Key)).ToDictionary(c => c.Key, c => c.Value);
    }

    public void AddPartitions(IReadOnlyCollection<TopicPartition> partitions)
    {
        lock (_gate)
        {
            foreach (var p in partitions)
            {
                if (!_assignment.Add(p)) throw new InvalidOperationException($"{p} was added twice.");
            }
            _events.Add("add " + string.Join(",", partitions));
        }
        UpdateWanted();
    }

    public void RemovePartitions(IReadOnlyCollection<TopicPartition> partitions)
    {
        lock (_gate)
        {
            foreach (var p in partitions)
            {
                if (!_assignment.Remove(p)) throw new InvalidOperationException($"{p} was removed but not assigned.");
            }
            _events.Add("remove " + string.Join(",", partitions));
        }
        UpdateWanted();
    }

    public void SetSubscribedTopics(IReadOnlyCollection<string> topics, bool allTopics)
    {
        lock (_gate)
        {
            _topics = [.. topics];
            _allTopics = allTopics;
        }
        UpdateWanted();
    }

    private void UpdateWanted()
    {
        lock (_gate)
        {
            metadata.SetWantedTopics(_topics.Concat(_assignment.Select(p => p.Topic)).Distinct(), _allTopics);
        }
    }
}

/// <summary>Records rebalance callbacks in order; can be told to throw or to commit from OnPartitionsRevoked.</summary>
internal sealed class RecordingListener : IConsumerRebalanceListener
{
    private readonly ConcurrentQueue<(string Kind, TopicPartition[] Partitions)> _events = new();

    public IReadOnlyList<(string Kind, TopicPartition[] Partitions)> Events => [.. _events];

    public IEnumerable<TopicPartition> Revoked => Events.Where(e => e.Kind == "revoked").SelectMany(e => e.Partitions);

    public IEnumerable<TopicPartition> Lost => Events.Where(e => e.Kind == "lost").SelectMany(e => e.Partitions);

    public IEnumerable<TopicPartition> Assigned => Events.Where(e => e.Kind == "assigned").SelectMany(e => e.Partitions);

    public ValueTask OnPartitionsRevokedAsync(IReadOnlyCollection<TopicPartition> revoked, CancellationToken cancellationToken)
    {
        _events.Enqueue(("revoked", [.. revoked]));
        return ValueTask.CompletedTask;
    }

    public ValueTask OnPartitionsAssignedAsync(IReadOnlyCollection<TopicPartition> assigned, CancellationToken cancellationToken)
    {
        _events.Enqueue(("assigned", [.. assigned]));
        return ValueTask.CompletedTask;
    }

    public ValueTask OnPartitionsLostAsync(IReadOnlyCollection<TopicPartition> lost, CancellationToken cancellationToken)
    {
        _events.Enqueue(("lost", [.. lost]));
        return ValueTask.CompletedTask;
    }
}

/// <summary>One group member as a test sees it: its own connection pool, metadata, fake consumer, listener, logger and
/// coordinator, plus a loop that polls like an application (every ~10 ms) until stopped.</summary>
internal sealed class TestMember : IAsyncDisposable
{
    private CancellationTokenSource? _pollCts;
    private Task? _pollLoop;

    public TestMember(ConsumerOptions options, string name)
    {
        Name = name;
        Options = options;
        Pool = new ConnectionPool(options);
        Metadata = new MetadataManager(Pool, options);
        Member = new FakeGroupMember(Metadata);
        Coordinator = new GroupCoordinator(options, Metadata, Member, Logger);
    }

    public string Name { get; }

    public ConsumerOptions Options { get; }

    public ConnectionPool Pool { get; }

    public MetadataManager Metadata { get; }

    public FakeGroupMember Member { get; }

    public RecordingListener Listener { get; } = new();

    public RecordingLogger Logger { get; } = new();

    public GroupCoordinator Coordinator { get; }

    public ConcurrentQueue<Exception> PollErrors { get; } = new();

    public IReadOnlySet<TopicPartition> Assignment => Member.Assignment;

    public bool IsStable => Coordinator.IsStable;

    public TestMember Subscribe(params string[] topics)
    {
        Coordinator.Subscribe(topics, Listener);
        return this;
    }

    public TestMember Subscribe(Regex pattern)
    {
        Coordinator.Subscribe(pattern, Listener);
        return this;
    }

    /// <summary>Polls in the background like an application's consume loop.</summary>
    public TestMember StartPolling()
    {
        if (_pollLoop is not null) return this;
        var cts = _pollCts = new CancellationTokenSource();
        _pollLoop = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                try
                {
                    await Coordinator.PollAsync(TimeSpan.FromMilliseconds(100), cts.Token);
                }
                catch (OperationCanceledException) when (cts.IsCancellationRequested)
                {
                    break;
                }
                catch (ObjectDisposedException) when (cts.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e)
                {
                    PollErrors.Enqueue(e);
                }
                try
                {
                    await Task.Delay(10, cts.Token); // an application's pace between polls
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        });
        return this;
    }

    public async Task StopPollingAsync()
    {
        if (_pollLoop is null) return;
        _pollCts!.Cancel();
        await _pollLoop;
        _pollLoop = null;
        _pollCts.Dispose();
        _pollCts = null;
    }

    /// <summary>Leaves the group in an orderly way (revoke, LeaveGroup) and releases everything.</summary>
    public async Task CloseAsync(bool autoCommit = false)
    {
        await StopPollingAsync();
        await Coordinator.CloseAsync(autoCommit, TimeSpan.FromSeconds(10));
        await Pool.DisposeAsync();
    }

    /// <summary>Dies without leaving: heartbeats stop, the coordinator connection drops, no LeaveGroup.</summary>
    public async Task CrashAsync()
    {
        await StopPollingAsync();
        await Coordinator.AbandonAsync();
        await Pool.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopPollingAsync();
        await Coordinator.AbandonAsync();
        await Pool.DisposeAsync();
    }

    public override string ToString() => $"{Name} [{string.Join(", ", Assignment.OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition))}]";
}

internal static class GroupTests
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static int _groups;

    public static string NewGroupId(string prefix) => $"{prefix}-{Interlocked.Increment(ref _groups)}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Options for a classic-group member with short timeouts (the mock's rejoin waits session timeout − 1 s).</summary>
    public static ConsumerOptions Options(KafkaTestCluster cluster, string groupId, params PartitionAssignmentStrategy[] strategies) => new()
    {
        BootstrapServers = cluster.BootstrapServers,
        ClientId = "groups-test",
        GroupId = groupId,
        SessionTimeout = TimeSpan.FromMilliseconds(2000),
        HeartbeatInterval = TimeSpan.FromMilliseconds(100),
        MaxPollInterval = TimeSpan.FromSeconds(30),
        RequestTimeout = TimeSpan.FromSeconds(10),
        RetryBackoff = TimeSpan.FromMilliseconds(50),
        ReconnectBackoff = TimeSpan.FromMilliseconds(20),
        ReconnectBackoffMax = TimeSpan.FromMilliseconds(200),
        MetadataMaxAge = TimeSpan.FromMilliseconds(500),
        EnableAutoCommit = false,
        PartitionAssignmentStrategy = strategies.Length == 0 ? [PartitionAssignmentStrategy.Range] : [.. strategies],
    };

    /// <summary>A cluster for group tests: no initial rebalance delay (KafkaTestCluster already advertises only the group
    /// API versions the mock parses).</summary>
    public static async Task<KafkaTestCluster> StartClusterAsync(int brokers = 3)
    {
        var cluster = await KafkaTestCluster.StartAsync(brokers);
        cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        return cluster;
    }

    public static IReadOnlyList<TopicPartition> Partitions(string topic, int count) =>
        [.. Enumerable.Range(0, count).Select(p => new TopicPartition(topic, p))];

    /// <summary>True when every member is stable and every partition is owned by exactly one of them.</summary>
    public static bool SplitExactly(IReadOnlyCollection<TestMember> members, IReadOnlyCollection<TopicPartition> partitions)
    {
        if (!members.All(m => m.IsStable)) return false;
        var owned = members.SelectMany(m => m.Assignment).ToList();
        return owned.Count == partitions.Count && owned.ToHashSet().SetEquals(partitions);
    }

    public static Task AwaitSplitAsync(IReadOnlyCollection<TestMember> members, IReadOnlyCollection<TopicPartition> partitions, TimeSpan? timeout = null) =>
        AwaitAsync(members, () => SplitExactly(members, partitions), $"every partition owned by exactly one of {members.Count} stable members", timeout);

    /// <summary>Awaits a condition; on timeout the exception carries each member's state, errors and recent log.</summary>
    public static async Task AwaitAsync(IReadOnlyCollection<TestMember> members, Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        try
        {
            await Eventually.TrueAsync(condition, timeout ?? Timeout, what);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + Environment.NewLine + Diagnose(members), e);
        }
    }

    /// <inheritdoc cref="AwaitAsync(IReadOnlyCollection{TestMember}, Func{bool}, string, TimeSpan?)"/>
    public static async Task AwaitAsync(IReadOnlyCollection<TestMember> members, Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        try
        {
            await Eventually.TrueAsync(condition, timeout ?? Timeout, what);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + Environment.NewLine + Diagnose(members), e);
        }
    }

    /// <summary>Runs assertions; a failure carries each member's state and recent log.</summary>
    public static void Check(IReadOnlyCollection<TestMember> members, Action assertions)
    {
        try
        {
            assertions();
        }
        catch (Exception e) when (e is not TimeoutException)
        {
            throw new InvalidOperationException(e.Message + Environment.NewLine + Diagnose(members), e);
        }
    }

    public static string Diagnose(IEnumerable<TestMember> members) =>
        string.Join(Environment.NewLine, members.Select(m =>
            $"== {m} stable={m.IsStable} generation={m.Coordinator.Generation} member={m.Coordinator.MemberId}" + Environment.NewLine +
            string.Join(Environment.NewLine, m.PollErrors.Select(e => "  poll error: " + e)) + Environment.NewLine +
            string.Join(Environment.NewLine, m.Logger.Lines.TakeLast(60).Select(l => $"  {l.Level}: {l.Text}"))));
}
