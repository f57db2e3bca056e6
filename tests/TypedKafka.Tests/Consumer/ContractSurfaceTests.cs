using System.Text.RegularExpressions;

namespace TypedKafka.Tests.Consumer;

/// <summary>
/// Compiles against the exact signatures of docs/consumer-api.md §4: a renamed member, a changed parameter type or
/// a missing overload breaks the build of this file.
/// </summary>
public sealed class ContractSurfaceTests
{
    [Fact]
    public async Task Every_member_of_the_contract_table_has_its_signature()
    {
        await using var c = new KafkaConsumer<string?, string?>(new ConsumerOptions { BootstrapServers = "127.0.0.1:1" });
        Action<IEnumerable<string>, IConsumerRebalanceListener?> subscribe = c.Subscribe;
        Action<Regex, IConsumerRebalanceListener?> subscribePattern = c.Subscribe;
        Func<IReadOnlySet<string>> subscription = () => c.Subscription;
        Action unsubscribe = c.Unsubscribe;
        Action<IEnumerable<TopicPartition>> assign = c.Assign;
        Func<IReadOnlySet<TopicPartition>> assignment = () => c.Assignment;
        Func<TimeSpan, int?, CancellationToken, ValueTask<ConsumerRecords<string?, string?>>> poll = c.PollAsync;
        Func<CancellationToken, IAsyncEnumerable<ConsumerRecord<string?, string?>>> consume = c.ConsumeAsync;
        Func<IReadOnlyDictionary<TopicPartition, OffsetAndMetadata>?, CancellationToken, Task> commit = c.CommitAsync;
        Action<IReadOnlyDictionary<TopicPartition, OffsetAndMetadata>?, Action<IReadOnlyDictionary<TopicPartition, OffsetAndMetadata>, Exception?>?> commitInBackground = c.CommitInBackground;
        Func<TopicPartition, CancellationToken, Task<OffsetAndMetadata?>> committed = c.CommittedAsync;
        Func<IEnumerable<TopicPartition>, CancellationToken, Task<IReadOnlyDictionary<TopicPartition, OffsetAndMetadata?>>> committedMany = c.CommittedAsync;
        Action<TopicPartition, long> seek = c.Seek;
        Action<TopicPartition[]> seekToBeginning = c.SeekToBeginning;
        Action<TopicPartition[]> seekToEnd = c.SeekToEnd;
        Func<TopicPartition, CancellationToken, ValueTask<long>> position = c.PositionAsync;
        Action<TopicPartition[]> pause = c.Pause;
        Action<TopicPartition[]> resume = c.Resume;
        Func<IReadOnlySet<TopicPartition>> paused = c.Paused;
        Func<TopicPartition, long?> highwater = c.Highwater;
        Func<IEnumerable<TopicPartition>, CancellationToken, Task<IReadOnlyDictionary<TopicPartition, long>>> beginning = c.BeginningOffsetsAsync;
        Func<IEnumerable<TopicPartition>, CancellationToken, Task<IReadOnlyDictionary<TopicPartition, long>>> end = c.EndOffsetsAsync;
        Func<IReadOnlyDictionary<TopicPartition, long>, CancellationToken, Task<IReadOnlyDictionary<TopicPartition, OffsetAndTimestamp?>>> forTimes = c.OffsetsForTimesAsync;
        Func<string, CancellationToken, Task<IReadOnlySet<int>?>> partitionsFor = c.PartitionsForTopicAsync;
        Func<CancellationToken, Task<IReadOnlySet<string>>> topics = c.TopicsAsync;
        Func<IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>>> metrics = c.Metrics;
        Func<bool> bootstrapConnected = c.BootstrapConnected;
        Func<bool, TimeSpan?, ValueTask> close = c.CloseAsync;
        Func<ValueTask> dispose = c.DisposeAsync;
        IAsyncDisposable disposable = c;

        Delegate[] all = [subscribe, subscribePattern, subscription, unsubscribe, assign, assignment, poll, consume, commit, commitInBackground,
            committed, committedMany, seek, seekToBeginning, seekToEnd, position, pause, resume, paused, highwater, beginning, end, forTimes,
            partitionsFor, topics, metrics, bootstrapConnected, close, dispose];
        Assert.Equal(29, all.Length);
        Assert.NotNull(disposable);
        Assert.Empty(c.Subscription);
        Assert.Empty(c.Assignment);
        Assert.False(c.BootstrapConnected());
    }
}
