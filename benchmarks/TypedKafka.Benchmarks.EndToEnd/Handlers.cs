using System.Diagnostics;

namespace TypedKafka.Benchmarks.EndToEnd;

/// <summary>
/// The benchmark's one <c>[KafkaTopic]</c> handler. TypedKafka's generator compiles it into this assembly's handler
/// catalog: a <c>Utf8JsonReader</c> deserializer of <see cref="Order"/> (used alone by tk-typed-gen, through
/// <see cref="KafkaHandlerDescriptor.ValueDeserializer"/>) and the invoker that <c>AddTypedKafka</c> calls per record
/// (tk-framework).
/// </summary>
public static class OrderHandlers
{
    /// <summary>The topic of the handler: the benchmark's default <c>--topic</c> (an attribute needs a constant).</summary>
    public const string Topic = "orders";

    [KafkaTopic(Topic)]
    public static void Handle(Order order) => FrameworkSink.Add(order);

    /// <summary>The generated deserializer of <see cref="Order"/>, taken from the handler catalog.</summary>
    public static IDeserializer<Order> GeneratedDeserializer()
    {
        var descriptor = KafkaHandlerRegistry.AllHandlers().Single(h => h.Topic == Topic && h.HandlerType == typeof(OrderHandlers));
        if (descriptor.Format != KafkaMessageFormat.Json)
            throw new InvalidOperationException($"The generator chose {descriptor.Format} for {descriptor}, not JSON.");
        return (IDeserializer<Order>)descriptor.ValueDeserializer;
    }
}

/// <summary>
/// What the tk-framework handler does per record: counts it and sums the quantities (so the value is really read) in
/// counters of its own thread (the engine runs partitions on several workers at once, and a shared interlocked counter
/// would cost the handler a cache-line transfer per record, which a no-op handler does not have), notes the time of the
/// first record, and lets <see cref="WaitAsync"/> (polling the sum every millisecond) note when the target was reached.
/// </summary>
internal static class FrameworkSink
{
    private sealed class Counter
    {
        public long Count;
        public long Quantity;
    }

    [ThreadStatic]
    private static Counter? _mine;

    private static readonly List<Counter> All = [];
    private static long _target = long.MaxValue;
    private static long _first;
    private static long _last;

    public static long Target => _target;

    /// <summary>Records handled since <see cref="Reset"/> (racy while the run is going).</summary>
    public static long Count
    {
        get
        {
            lock (All) return All.Sum(c => Volatile.Read(ref c.Count));
        }
    }

    public static long Quantity
    {
        get
        {
            lock (All) return All.Sum(c => Volatile.Read(ref c.Quantity));
        }
    }

    /// <summary><see cref="Stopwatch"/> timestamps of the first record and of the moment the target was seen reached.</summary>
    public static long FirstTimestamp => _first;

    public static long LastTimestamp => _last;

    /// <summary>Call before the host starts (no handler may be running).</summary>
    public static void Reset(long target)
    {
        lock (All)
        {
            foreach (var counter in All)
            {
                counter.Count = 0;
                counter.Quantity = 0;
            }
        }
        _first = 0;
        _last = 0;
        _target = target;
    }

    /// <summary>Completes when <see cref="Target"/> records were handled (checked every millisecond).</summary>
    public static async Task WaitAsync(CancellationToken cancellationToken)
    {
        while (Count < _target) await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        _last = Stopwatch.GetTimestamp();
    }

    public static void Add(Order order)
    {
        var mine = _mine ??= Register();
        if (mine.Count == 0 && Volatile.Read(ref _first) == 0) Interlocked.CompareExchange(ref _first, Stopwatch.GetTimestamp(), 0);
        Volatile.Write(ref mine.Quantity, mine.Quantity + order.Qty);
        Volatile.Write(ref mine.Count, mine.Count + 1);
    }

    private static Counter Register()
    {
        var counter = new Counter();
        lock (All) All.Add(counter);
        return counter;
    }
}
