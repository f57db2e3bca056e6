using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;

namespace TypedKafka.Producing;

/// <summary>
/// The pending result of one produced record: a pooled <see cref="IValueTaskSource{TResult}"/>, so that
/// <c>ProduceAsync</c> allocates no Task per record. It goes back to the pool when its result is read (awaiting the
/// ValueTask does that); a ValueTask never awaited leaves its completion to the garbage collector.
/// Continuations run on the thread pool, never on the sender loop that completes them.
/// </summary>
internal sealed class RecordCompletion : IValueTaskSource<DeliveryResult>
{
    private const int MaxPooled = 1 << 20;
    private static readonly ConcurrentQueue<RecordCompletion> Pool = new();
    private static int s_pooled;

    private ManualResetValueTaskSourceCore<DeliveryResult> _core = new() { RunContinuationsAsynchronously = true };

    /// <summary>The record's timestamp (create time), reported when the broker does not use log-append time.</summary>
    public long Timestamp;

    public static RecordCompletion Rent()
    {
        if (Pool.TryDequeue(out var completion))
        {
            Interlocked.Decrement(ref s_pooled);
            return completion;
        }
        return new RecordCompletion();
    }

    public ValueTask<DeliveryResult> Task => new(this, _core.Version);

    public void SetResult(in DeliveryResult result) => _core.SetResult(result);

    public void SetException(Exception error) => _core.SetException(error);

    public DeliveryResult GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
            if (Interlocked.Increment(ref s_pooled) <= MaxPooled) Pool.Enqueue(this);
            else Interlocked.Decrement(ref s_pooled);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
