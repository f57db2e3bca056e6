using System.Collections.Concurrent;

namespace TypedKafka.Hosting.Tests;

/// <summary>A test payload: the producer's key and a sequence number per key (or per partition).</summary>
public sealed record Seq(string Key, int N);

/// <summary>One handler call as the probe saw it.</summary>
public sealed record Handled(string Topic, int Partition, long Offset, string Key, int N, bool Cancelled, int Host);

/// <summary>
/// Shared by the engine tests' handlers through DI (one per host): counts handler calls running at once (and the peak),
/// per key, records each completed call, and lets a test shape a call (<see cref="Behaviour"/>: delay, fail, block).
/// </summary>
public sealed class Probe
{
    private int _running;
    private int _peak;
    private readonly ConcurrentDictionary<string, int> _runningPerKey = new();

    public Probe(int host = 0) => Host = host;

    public int Host { get; }

    public Func<MessageContext, Seq, CancellationToken, Task>? Behaviour { get; set; }

    public ConcurrentQueue<Handled> Handled { get; } = new();

    /// <summary>(topic, partition) → offsets completed (recorded before the handler returns).</summary>
    public ConcurrentDictionary<(string Topic, int Partition), ConcurrentDictionary<long, byte>> Completed { get; } = new();

    public ConcurrentQueue<IReadOnlyList<(int Partition, long Offset, string Key, int N)>> Batches { get; } = new();

    public int Running => Volatile.Read(ref _running);

    public int Peak => Volatile.Read(ref _peak);

    /// <summary>Two calls for one key ran at the same time.</summary>
    public int KeyOverlaps;

    public int Count => Handled.Count;

    public async Task HandleAsync(MessageContext context, Seq message, CancellationToken ct)
    {
        var running = Interlocked.Increment(ref _running);
        var peak = Volatile.Read(ref _peak);
        while (running > peak && Interlocked.CompareExchange(ref _peak, running, peak) != peak) peak = Volatile.Read(ref _peak);
        var perKey = _runningPerKey.AddOrUpdate(context.Topic + "/" + message.Key, 1, (_, n) => n + 1);
        if (perKey > 1) Interlocked.Increment(ref KeyOverlaps);
        try
        {
            if (Behaviour is { } behaviour) await behaviour(context, message, ct);
            Completed.GetOrAdd((context.Topic, context.Partition), _ => new()).TryAdd(context.Offset, 0);
            Handled.Enqueue(new Handled(context.Topic, context.Partition, context.Offset, message.Key, message.N, ct.IsCancellationRequested, Host));
        }
        finally
        {
            _runningPerKey.AddOrUpdate(context.Topic + "/" + message.Key, 0, (_, n) => n - 1);
            Interlocked.Decrement(ref _running);
        }
    }
}

public sealed class PartitionOrderHandler(Probe probe)
{
    [KafkaTopic("ord-partition", GroupId = "g-partition")]
    public Task HandleAsync(Seq message, MessageContext context, CancellationToken ct) => probe.HandleAsync(context, message, ct);
}

public sealed class KeyOrderHandler(Probe probe)
{
    [KafkaTopic("ord-key", GroupId = "g-key", Ordering = KafkaOrdering.Key, MaxConcurrency = 8)]
    public Task HandleAsync(Seq message, MessageContext context, CancellationToken ct) => probe.HandleAsync(context, message, ct);
}

public sealed class UnorderedHandler(Probe probe)
{
    [KafkaTopic("ord-unordered", GroupId = "g-unordered", Ordering = KafkaOrdering.Unordered, MaxConcurrency = 8)]
    public Task HandleAsync(Seq message, MessageContext context, CancellationToken ct) => probe.HandleAsync(context, message, ct);
}

public sealed class RandomLatencyHandler(Probe probe)
{
    [KafkaTopic("latency", GroupId = "g-latency", Ordering = KafkaOrdering.Unordered, MaxConcurrency = 16)]
    public Task HandleAsync(Seq message, MessageContext context, CancellationToken ct) => probe.HandleAsync(context, message, ct);
}

public sealed class FailingPartitionHandler(Probe probe)
{
    [KafkaTopic("stuck-partition", GroupId = "g-stuck-partition")]
    public Task HandleAsync(Seq message, MessageContext context, CancellationToken ct) => probe.HandleAsync(context, message, ct);
}

public sealed class FailingKeyHandler(Probe probe)
{
    [KafkaTopic("stuck-key", GroupId = "g-stuck-key", Ordering = KafkaOrdering.Key)]
    public Task HandleAsync(Seq message, MessageContext context, CancellationToken ct) => probe.HandleAsync(context, message, ct);
}

public sealed class MembersHandler(Probe probe)
{
    [KafkaTopic("members", GroupId = "g-members")]
    public Task HandleAsync(Seq message, MessageContext context, CancellationToken ct) => probe.HandleAsync(context, message, ct);
}

public sealed class ShutdownHandler(Probe probe)
{
    [KafkaTopic("shutdown", GroupId = "g-shutdown")]
    public Task HandleAsync(Seq message, MessageContext context, CancellationToken ct) => probe.HandleAsync(context, message, ct);
}

public sealed class BackpressureHandler(Probe probe)
{
    [KafkaTopic("pressure", GroupId = "g-pressure", Ordering = KafkaOrdering.Unordered, MaxConcurrency = 4)]
    public Task HandleAsync(Seq message, MessageContext context, CancellationToken ct) => probe.HandleAsync(context, message, ct);
}

/// <summary>Batches of values: at most 10 records, a partial batch waits up to 500 ms for more.</summary>
public sealed class BatchValuesHandler(Probe probe)
{
    public static Func<IReadOnlyList<Seq>, Task>? Fail { get; set; }

    [KafkaTopic("batches", GroupId = "g-batch", MaxBatchSize = 10, MaxBatchWaitMs = 500)]
    public async Task HandleAsync(IReadOnlyList<Seq> messages, CancellationToken ct)
    {
        await Task.Yield();
        if (Fail is { } fail) await fail(messages);
        probe.Batches.Enqueue([.. messages.Select(m => (-1, -1L, m.Key, m.N))]);
    }
}

/// <summary>Batches with contexts: at most 7 records, no wait.</summary>
public sealed class BatchMessagesHandler(Probe probe)
{
    [KafkaTopic("batches-ctx", GroupId = "g-batch-ctx", MaxBatchSize = 7)]
    public Task HandleAsync(IReadOnlyList<KafkaMessage<Seq>> messages, CancellationToken ct)
    {
        probe.Batches.Enqueue([.. messages.Select(m => (m.Context.Partition, m.Context.Offset, System.Text.Encoding.UTF8.GetString(m.Context.RawKey.Span), m.Value.N))]);
        return Task.CompletedTask;
    }
}

/// <summary>A record handler and a batch handler on one topic: the batch handler must see each record once even when
/// the record handler fails and retries.</summary>
public sealed class MixedHandlers(Probe probe)
{
    [KafkaTopic("mixed", GroupId = "g-mixed")]
    public Task HandleAsync(Seq message, MessageContext context, CancellationToken ct) => probe.HandleAsync(context, message, ct);

    [KafkaTopic("mixed", GroupId = "g-mixed", MaxBatchSize = 4)]
    public Task HandleBatchAsync(IReadOnlyList<KafkaMessage<Seq>> messages, CancellationToken ct)
    {
        probe.Batches.Enqueue([.. messages.Select(m => (m.Context.Partition, m.Context.Offset, m.Value.Key, m.Value.N))]);
        return Task.CompletedTask;
    }
}

/// <summary>Payloads that are not JSON under the default policy (Stop): a fatal error for the group.</summary>
public sealed class PoisonHandler(Probe probe)
{
    [KafkaTopic("poison", GroupId = "g-poison")]
    public Task HandleAsync(Seq message, MessageContext context, CancellationToken ct) => probe.HandleAsync(context, message, ct);
}

/// <summary>A scoped service: counts instances made and disposed.</summary>
public sealed class ScopedThing : IDisposable
{
    public static int Created;
    public static int Disposed;

    public ScopedThing() => Interlocked.Increment(ref Created);

    public bool IsDisposed { get; private set; }

    public void Dispose()
    {
        IsDisposed = true;
        Interlocked.Increment(ref Disposed);
    }
}

/// <summary>Takes a scoped service: one instance per handler call, disposed when the call ends.</summary>
public sealed class ScopedHandler(Probe probe, ScopedThing scoped)
{
    public static readonly ConcurrentDictionary<ScopedThing, long> Seen = new();

    [KafkaTopic("scoped", GroupId = "g-scoped", Ordering = KafkaOrdering.Unordered, MaxConcurrency = 4)]
    public async Task HandleAsync(Seq message, MessageContext context, CancellationToken ct)
    {
        Assert.False(scoped.IsDisposed);
        Assert.True(Seen.TryAdd(scoped, context.Offset), "A scoped instance was handed to two calls.");
        await Task.Yield();
        Assert.False(scoped.IsDisposed);
        await probe.HandleAsync(context, message, ct);
    }
}
