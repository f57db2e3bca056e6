namespace TypedKafka.Protocol;

/// <summary>One request waiting for its response on a connection.</summary>
public readonly record struct InFlightRequest<TState>(int CorrelationId, short ApiKey, short ApiVersion, TState State);

/// <summary>
/// Tracks the requests in flight on one connection. A broker answers the requests of a connection in
/// the order it received them, so the next response must carry the oldest outstanding correlation id;
/// anything else means the stream is out of step and the connection must be dropped.
/// </summary>
/// <remarks>
/// Requests that get no response at all (Produce with acks=0) must not be registered. Thread-safe: the
/// sending and receiving sides of a connection usually run on different threads.
/// </remarks>
public sealed class CorrelationTracker<TState>
{
    private readonly Queue<InFlightRequest<TState>> _inFlight = new();
    private readonly object _lock = new();
    private int _nextCorrelationId;

    public CorrelationTracker(int firstCorrelationId = 0) => _nextCorrelationId = firstCorrelationId;

    public int Count
    {
        get
        {
            lock (_lock) return _inFlight.Count;
        }
    }

    /// <summary>Allocates the next correlation id (wrapping past int.MaxValue to 0, never negative) and registers the request.</summary>
    public int Register(short apiKey, short apiVersion, TState state)
    {
        lock (_lock)
        {
            int id = _nextCorrelationId;
            _nextCorrelationId = id == int.MaxValue ? 0 : id + 1;
            _inFlight.Enqueue(new InFlightRequest<TState>(id, apiKey, apiVersion, state));
            return id;
        }
    }

    /// <summary>The oldest request, whose response is expected next.</summary>
    public bool TryPeek(out InFlightRequest<TState> request)
    {
        lock (_lock) return _inFlight.TryPeek(out request);
    }

    /// <summary>
    /// Matches a received response to the oldest in-flight request and removes it. Throws
    /// <see cref="KafkaProtocolException"/> (naming the request that was expected) when nothing is in
    /// flight or the id is not the expected one.
    /// </summary>
    public InFlightRequest<TState> Complete(int correlationId)
    {
        lock (_lock)
        {
            if (!_inFlight.TryPeek(out var expected))
            {
                throw new KafkaProtocolException($"Received a response with correlation id {correlationId} but no request is in flight", position: 0);
            }
            if (expected.CorrelationId != correlationId)
            {
                throw new KafkaProtocolException(
                    $"Received a response with correlation id {correlationId} but expected {expected.CorrelationId} " +
                    $"({ApiKeys.Name(expected.ApiKey)} v{expected.ApiVersion}); responses arrived out of order",
                    expected.ApiKey, expected.ApiVersion, 0);
            }
            return _inFlight.Dequeue();
        }
    }

    /// <summary>Removes and returns every in-flight request, oldest first (when the connection fails).</summary>
    public List<InFlightRequest<TState>> DrainAll()
    {
        lock (_lock)
        {
            var all = _inFlight.ToList();
            _inFlight.Clear();
            return all;
        }
    }
}
