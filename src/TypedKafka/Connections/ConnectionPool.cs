namespace TypedKafka.Connections;

/// <summary>
/// The consumer's connections: at most one per broker, made on demand, remade after failures with exponential backoff
/// and jitter (<see cref="ConsumerOptions.ReconnectBackoff"/> doubling up to <see cref="ConsumerOptions.ReconnectBackoffMax"/>),
/// renewed before a SASL session ends, and closed when idle longer than <see cref="ConsumerOptions.ConnectionsMaxIdle"/>.
/// Each broker's connection is a <see cref="KeptConnection"/>.
/// </summary>
/// <remarks>Thread-safe; <c>_gate</c> guards the table and is never held across an await (nor while a
/// <see cref="KeptConnection"/>'s own lock is taken inside it).</remarks>
internal sealed class ConnectionPool : IAsyncDisposable
{
    private readonly ConnectionSettings _settings;
    private readonly TimeSpan _backoff;
    private readonly TimeSpan _backoffMax;
    private readonly TimeSpan _maxIdle;
    private readonly Dictionary<(string Host, int Port), KeptConnection> _slots = [];
    private readonly RetiringConnections _retiring = new();
    private readonly object _gate = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _idleSweeper;

    public ConnectionPool(ConsumerOptions options)
    {
        _settings = ConnectionSettings.From(options);
        _backoff = options.ReconnectBackoff;
        _backoffMax = options.ReconnectBackoffMax;
        _maxIdle = options.ConnectionsMaxIdle;
        Bootstrap = [.. ConsumerOptions.ParseBootstrapServers(options.BootstrapServers).Select((e, i) => new BrokerEndpoint(-1 - i, e.Host, e.Port))];
        _idleSweeper = Task.Run(SweepIdleAsync);
    }

    /// <summary>The bootstrap servers, with negative ids.</summary>
    public IReadOnlyList<BrokerEndpoint> Bootstrap { get; }

    public ConnectionSettings Settings => _settings;

    /// <summary>Connections currently open.</summary>
    public int OpenCount
    {
        get
        {
            lock (_gate) return _slots.Values.Count(s => s.Open is not null);
        }
    }

    /// <summary>Requests in flight over all connections.</summary>
    public int InFlightCount
    {
        get
        {
            lock (_gate) return _slots.Values.Sum(s => s.Open is { } c ? c.InFlightCount : 0);
        }
    }

    /// <summary>True when some bootstrap server has an open connection.</summary>
    public bool BootstrapConnected()
    {
        lock (_gate)
        {
            return Bootstrap.Any(b => _slots.TryGetValue((b.Host, b.Port), out var s) && s.Open is not null);
        }
    }

    /// <summary>An open connection to <paramref name="endpoint"/>, connecting (after any backoff still due) if needed.</summary>
    public Task<BrokerConnection> GetAsync(BrokerEndpoint endpoint, CancellationToken cancellationToken)
    {
        KeptConnection slot;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closing.IsCancellationRequested, this);
            if (!_slots.TryGetValue((endpoint.Host, endpoint.Port), out slot!))
                _slots[(endpoint.Host, endpoint.Port)] = slot = new KeptConnection(endpoint, _settings, Backoff, _settings.RequestTimeout, _retiring, _closing.Token);
        }
        return slot.GetAsync(cancellationToken);
    }

    /// <summary>An open connection to any of <paramref name="candidates"/>, preferring ones already open and least busy.</summary>
    public async Task<BrokerConnection> GetAnyAsync(IReadOnlyList<BrokerEndpoint> candidates, CancellationToken cancellationToken)
    {
        if (candidates.Count == 0) candidates = Bootstrap;
        lock (_gate)
        {
            var open = candidates
                .Select(c => _slots.TryGetValue((c.Host, c.Port), out var s) ? s.Open : null)
                .Where(c => c is not null)
                .OrderBy(c => c!.InFlightCount)
                .FirstOrDefault();
            if (open is { RenewalDue: false }) return open;
        }
        Exception? last = null;
        // Try each candidate once, starting at a random one so that many clients spread over the cluster.
        var start = Random.Shared.Next(candidates.Count);
        for (var i = 0; i < candidates.Count; i++)
        {
            var candidate = candidates[(start + i) % candidates.Count];
            if (!IsReady(candidate) && i < candidates.Count - 1) continue;
            try
            {
                return await GetAsync(candidate, cancellationToken).ConfigureAwait(false);
            }
            catch (KafkaConnectionException e)
            {
                last = e;
            }
        }
        throw new KafkaConnectionException(
            $"None of {string.Join(", ", candidates)} could be reached: {last?.Message ?? "all are backing off after failures"}", last);
    }

    private bool IsReady(BrokerEndpoint endpoint)
    {
        lock (_gate)
        {
            return !_slots.TryGetValue((endpoint.Host, endpoint.Port), out var slot) || slot.IsReady;
        }
    }

    /// <summary>The pause after <paramref name="failures"/> consecutive failures: base × 2^(n−1), capped, ±20% jitter.</summary>
    internal TimeSpan Backoff(int failures)
    {
        var exponent = Math.Min(failures - 1, 30);
        var ms = Math.Min(_backoff.TotalMilliseconds * Math.Pow(2, exponent), _backoffMax.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms * (0.8 + 0.4 * Random.Shared.NextDouble()));
    }

    private async Task SweepIdleAsync()
    {
        var period = TimeSpan.FromMilliseconds(Math.Clamp(_maxIdle.TotalMilliseconds / 4, 50, 30_000));
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(_closing.Token).ConfigureAwait(false))
            {
                List<BrokerConnection> idle = [];
                lock (_gate)
                {
                    foreach (var slot in _slots.Values)
                    {
                        if (slot.TakeIfIdle(_maxIdle) is { } c) idle.Add(c);
                    }
                }
                foreach (var c in idle) await c.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<BrokerConnection> open;
        lock (_gate)
        {
            if (_closing.IsCancellationRequested) return;
            _closing.Cancel();
            open = [.. _slots.Values.Select(s => s.Take()).OfType<BrokerConnection>()];
            _slots.Clear();
        }
        foreach (var connection in open) await connection.DisposeAsync().ConfigureAwait(false);
        await _retiring.DisposeAsync().ConfigureAwait(false);
        await _idleSweeper.ConfigureAwait(false);
        _closing.Dispose();
    }
}
