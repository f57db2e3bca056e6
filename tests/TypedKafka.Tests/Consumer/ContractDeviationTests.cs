using System.Diagnostics;
using System.Text.RegularExpressions;
using TypedKafka.Testing;
using static TypedKafka.Tests.Consumer.ConsumerTestKit;

namespace TypedKafka.Tests.Consumer;

/// <summary>Calls whose behaviour once differed from the contract (issue 12, item 6): whole-name pattern matching,
/// ExcludeInternalTopics on the first match, Assign([]) as Unsubscribe, seeking with nothing assigned, and
/// Unsubscribe/CloseAsync bounded by their timeouts.</summary>
public sealed class ContractDeviationTests
{
    private static ConsumerOptions GroupOptions(KafkaTestCluster cluster, string group, Action<ConsumerOptions>? configure = null) =>
        Options(cluster, o =>
        {
            o.GroupId = group;
            o.SessionTimeout = TimeSpan.FromSeconds(6);
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
            o.EnableAutoCommit = false;
            configure?.Invoke(o);
        });

    [Fact]
    public async Task A_pattern_subscription_matches_whole_topic_names_not_substrings()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("metrics-cpu", 2);
        cluster.CreateTopic("old-metrics-cpu", 1);
        cluster.CreateTopic("metrics", 1);
        await using var consumer = new KafkaConsumer<string?, string?>(GroupOptions(cluster, "pattern-whole"));

        consumer.Subscribe(new Regex("metrics-.*"));

        while (consumer.Assignment.Count < 2)
        {
            cts.Token.ThrowIfCancellationRequested();
            await consumer.PollAsync(TimeSpan.FromMilliseconds(200), cancellationToken: cts.Token);
        }
        Assert.Equal(new HashSet<TopicPartition> { new("metrics-cpu", 0), new("metrics-cpu", 1) }, consumer.Assignment.ToHashSet());
        Assert.Equal(new HashSet<string> { "metrics-cpu" }, consumer.Subscription.ToHashSet());
    }

    [Fact]
    public async Task The_first_pattern_match_honours_ExcludeInternalTopics_false()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("__audit", 1);
        cluster.CreateTopic("x-a", 1);
        await using var consumer = new KafkaConsumer<string?, string?>(GroupOptions(cluster, "pattern-internal", o => o.ExcludeInternalTopics = false));
        // A first pattern subscription makes the cluster view cover every topic; the second one's first match reads it.
        consumer.Subscribe(new Regex("x-.*"));
        while (consumer.Assignment.Count < 1)
        {
            cts.Token.ThrowIfCancellationRequested();
            await consumer.PollAsync(TimeSpan.FromMilliseconds(200), cancellationToken: cts.Token);
        }

        consumer.Subscribe(new Regex("__audit"));

        Assert.Equal(new HashSet<string> { "__audit" }, consumer.Subscription.ToHashSet());
    }

    [Fact]
    public async Task Assign_with_no_partitions_unsubscribes_like_Unsubscribe()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("t", 2);
        await using var consumer = new KafkaConsumer<string?, string?>(GroupOptions(cluster, "assign-empty"));
        consumer.Subscribe(["t"]);
        while (consumer.Assignment.Count < 2)
        {
            cts.Token.ThrowIfCancellationRequested();
            await consumer.PollAsync(TimeSpan.FromMilliseconds(200), cancellationToken: cts.Token);
        }

        consumer.Assign([]);

        Assert.Empty(consumer.Subscription);
        Assert.Empty(consumer.Assignment);
        consumer.Assign([new("t", 1)]); // manual assignment is allowed now, as after Unsubscribe
        Assert.Equal(new HashSet<TopicPartition> { new("t", 1) }, consumer.Assignment.ToHashSet());
    }

    [Fact]
    public async Task SeekToBeginning_and_SeekToEnd_with_nothing_assigned_throw()
    {
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("t", 1);
        await using var consumer = new KafkaConsumer<string?, string?>(Options(cluster));

        Assert.Throws<InvalidOperationException>(() => consumer.SeekToBeginning());
        Assert.Throws<InvalidOperationException>(() => consumer.SeekToEnd());

        consumer.Assign([new("t", 0)]);
        consumer.SeekToBeginning(); // with a partition assigned, both are fine
        consumer.SeekToEnd();
    }

    [Fact]
    public async Task Unsubscribe_returns_within_the_leave_timeout_when_the_revocation_listener_hangs()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("t", 2);
        var listener = new HangingListener();
        var leaveTimeout = TimeSpan.FromSeconds(2);
        await using var consumer = new KafkaConsumer<string?, string?>(GroupOptions(cluster, "unsubscribe-bounded", o => o.RequestTimeout = leaveTimeout));
        try
        {
            consumer.Subscribe(["t"], listener);
            while (consumer.Assignment.Count < 2)
            {
                cts.Token.ThrowIfCancellationRequested();
                await consumer.PollAsync(TimeSpan.FromMilliseconds(200), cancellationToken: cts.Token);
            }

            var watch = Stopwatch.StartNew();
            var unsubscribe = Task.Run(consumer.Unsubscribe);
            await AssertFinishesAsync(unsubscribe, "Unsubscribe");

            Assert.True(listener.RevokeStarted.Task.IsCompleted, "the listener was asked to revoke");
            Assert.True(watch.Elapsed < leaveTimeout + TimeSpan.FromSeconds(5), $"Unsubscribe took {watch.Elapsed.TotalSeconds:0.0} s with a leave timeout of 2 s.");
            Assert.Empty(consumer.Subscription);
            Assert.Empty(consumer.Assignment);
        }
        finally
        {
            listener.Release();
        }
    }

    [Fact]
    public async Task CloseAsync_returns_within_its_timeout_when_the_revocation_listener_hangs()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var cluster = await KafkaTestCluster.StartAsync(1);
        cluster.CreateTopic("t", 2);
        var listener = new HangingListener();
        await using var consumer = new KafkaConsumer<string?, string?>(GroupOptions(cluster, "close-bounded"));
        try
        {
            consumer.Subscribe(["t"], listener);
            while (consumer.Assignment.Count < 2)
            {
                cts.Token.ThrowIfCancellationRequested();
                await consumer.PollAsync(TimeSpan.FromMilliseconds(200), cancellationToken: cts.Token);
            }

            var watch = Stopwatch.StartNew();
            var close = consumer.CloseAsync(timeout: TimeSpan.FromSeconds(2)).AsTask();
            await AssertFinishesAsync(close, "CloseAsync");

            Assert.True(listener.RevokeStarted.Task.IsCompleted, "the listener was asked to revoke");
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(7), $"CloseAsync(2 s) took {watch.Elapsed.TotalSeconds:0.0} s.");
            Assert.Throws<ObjectDisposedException>(() => consumer.Assign([new("t", 0)]));
        }
        finally
        {
            listener.Release();
        }
    }

    /// <summary>Fails (rather than hangs) when <paramref name="task"/> has not finished well after its own bound.</summary>
    private static async Task AssertFinishesAsync(Task task, string what)
    {
        try
        {
            await task.WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{what} was still running after 20 s.");
        }
    }

    /// <summary>A listener whose revocation ignores its cancellation token and waits until the test releases it.</summary>
    private sealed class HangingListener : IConsumerRebalanceListener
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource RevokeStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _release.TrySetResult();

        public async ValueTask OnPartitionsRevokedAsync(IReadOnlyCollection<TopicPartition> revoked, CancellationToken cancellationToken)
        {
            if (revoked.Count == 0) return;
            RevokeStarted.TrySetResult();
            await _release.Task;
        }

        public ValueTask OnPartitionsAssignedAsync(IReadOnlyCollection<TopicPartition> assigned, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
