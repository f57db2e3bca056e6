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
/// What the tk-framework handler does per record: counts it, sums the quantities (so the value is really read), takes
/// the time of the first and of the <see cref="Target"/>-th record and completes <see cref="Done"/> at the latter.
/// The hosting calls the handlers of one group sequentially (one worker per group, one group here), so plain fields
/// suffice; <see cref="Done"/> publishes them to the waiting thread.
/// </summary>
internal static class FrameworkSink
{
    private static long _count;
    private static long _quantity;
    private static long _target = long.MaxValue;
    private static long _first;
    private static long _last;
    private static TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static Task Done => _done.Task;

    public static long Target => _target;

    /// <summary>Records handled since <see cref="Reset"/> (racy while the run is going; exact once <see cref="Done"/> completed).</summary>
    public static long Count => Volatile.Read(ref _count);

    public static long Quantity => _quantity;

    /// <summary><see cref="Stopwatch"/> timestamps of the first and of the <see cref="Target"/>-th record.</summary>
    public static long FirstTimestamp => _first;

    public static long LastTimestamp => _last;

    /// <summary>Call before the host starts (no handler may be running).</summary>
    public static void Reset(long target)
    {
        _count = 0;
        _quantity = 0;
        _first = 0;
        _last = 0;
        _target = target;
        _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public static void Add(Order order)
    {
        var n = ++_count;
        _quantity += order.Qty;
        if (n == 1) _first = Stopwatch.GetTimestamp();
        if (n == _target)
        {
            _last = Stopwatch.GetTimestamp();
            _done.TrySetResult();
        }
    }
}
