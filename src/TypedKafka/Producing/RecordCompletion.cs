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

    // A stack in a growable array under a lock: a ConcurrentQueue allocates a new segment every time its tail segment
    // fills, which at a million records per second was ~25 bytes per record.
    private static readonly object PoolLock = new();
    private static RecordCompletion[] s_pool = new RecordCompletion[1024];
    private static int s_pooled;

    private ManualResetValueTaskSourceCore<DeliveryResult> _core = new() { RunContinuationsAsynchronously = true };

    /// <summary>The record's timestamp (create time), reported when the broker does not use log-append time.</summary>
    public long Timestamp;

    public static RecordCompletion Rent()
    {
        lock (PoolLock)
        {
            if (s_pooled > 0)
            {
                var completion = s_pool[--s_pooled];
                s_pool[s_pooled] = null!;
                return completion;
            }
        }
        return new RecordCompletion();
    }

    private static void Return(RecordCompletion completion)
    {
        lock (PoolLock)
        {
            if (s_pooled == s_pool.Length)
            {
                if (s_pooled >= MaxPooled) return;
                Array.Resize(ref s_pool, s_pool.Length * 2);
            }
            s_pool[s_pooled++] = completion;
        }
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
            Return(this);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
