using System.Diagnostics;

namespace TypedKafka.Connections;

/// <summary>
/// The consumer's connections: at most one per broker, made on demand, remade after failures with exponential backoff
/// and jitter (<see cref="ConsumerOptions.ReconnectBackoff"/> doubling up to <see cref="ConsumerOptions.ReconnectBackoffMax"/>),
/// and closed when idle longer than <see cref="ConsumerOptions.ConnectionsMaxIdle"/>.
/// </summary>
/// <remarks>Thread-safe; <c>_gate</c> guards the table and is never held across an await.</remarks>
internal sealed class ConnectionPool : IAsyncDisposable
{
    private readonly ConnectionSettings _settings;
    private readonly TimeSpan _backoff;
    private readonly TimeSpan _backoffMax;
    private readonly TimeSpan _maxIdle;
    private readonly Dictionary<(string Host, int Port), Slot> _slots = [];
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
            lock (_gate) return _slots.Values.Count(s => s.Connection is { IsAlive: true });
        }
    }

    /// <summary>Requests in flight over all connections.</summary>
    public int InFlightCount
    {
        get
        {
            lock (_gate) return _slots.Values.Sum(s => s.Connection is { IsAlive: true } c ? c.InFlightCount : 0);
        }
    }

    /// <summary>True when some bootstrap server has an open connection.</summary>
    public bool BootstrapConnected()
    {
        lock (_gate)
        {
            return Bootstrap.Any(b => _slots.TryGetValue((b.Host, b.Port), out var s) && s.Connection is { IsAlive: true });
        }
    }

    /// <summary>An open connection to <paramref name="endpoint"/>, connecting (after any backoff still due) if needed.</summary>
    public async Task<BrokerConnection> GetAsync(BrokerEndpoint endpoint, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task<BrokerConnection> connecting;
            TimeSpan wait;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_closing.IsCancellationRequested, this);
                if (!_slots.TryGetValue((endpoint.Host, endpoint.Port), out var slot))
                    _slots[(endpoint.Host, endpoint.Port)] = slot = new Slot();
                if (slot.Connection is { IsAlive: true, SessionEnded: false } alive)
                {
                    // A SASL session near its end: its successor is made in the background while it serves on.
                    if (alive.RenewalDue && slot.Connecting is null && slot.RetryAt <= Now())
                        slot.Connecting = RenewAsync(endpoint, slot);
                    return alive;
                }
                // Otherwise (no connection, a lost one, or a session that ended before its successor was ready) the
                // caller waits for a new connection, which retires the old one.
                if (slot.Connecting is { } pending)
                {
                    connecting = pending;
                    wait = TimeSpan.Zero;
                }
                else
                {
                    wait = slot.RetryAt - Now();
                    if (wait <= TimeSpan.Zero)
                    {
                        slot.Connecting = connecting = ConnectAsync(endpoint, slot);
                        wait = TimeSpan.Zero;
                    }
                    else
                    {
                        connecting = null!;
                    }
                }
            }
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                continue;
            }
            return await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>An open connection to any of <paramref name="candidates"/>, preferring ones already open and least busy.</summary>
    public async Task<BrokerConnection> GetAnyAsync(IReadOnlyList<BrokerEndpoint> candidates, CancellationToken cancellationToken)
    {
        if (candidates.Count == 0) candidates = Bootstrap;
        lock (_gate)
        {
            var open = candidates
                .Select(c => _slots.TryGetValue((c.Host, c.Port), out var s) ? s.Connection : null)
                .Where(c => c is { IsAlive: true })
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
            return !_slots.TryGetValue((endpoint.Host, endpoint.Port), out var slot)
                || slot.Connection is { IsAlive: true }
                || slot.RetryAt <= Now();
        }
    }

    private async Task<BrokerConnection> ConnectAsync(BrokerEndpoint endpoint, Slot slot)
    {
        await Task.Yield();
        try
        {
            var connection = await BrokerConnection.ConnectAsync(endpoint, _settings, _closing.Token).ConfigureAwait(false);
            BrokerConnection? replaced;
            lock (_gate)
            {
                replaced = slot.Connection;
                slot.Connection = connection;
                slot.Connecting = null;
                slot.Failures = 0;
            }
            if (replaced is not null) _retiring.Retire(replaced, _settings.RequestTimeout);
            return connection;
        }
        catch (Exception e)
        {
            lock (_gate)
            {
                slot.Connecting = null;
                slot.Failures++;
                slot.RetryAt = Now() + Backoff(slot.Failures);
            }
            if (e is KafkaException) throw;
            if (e is OperationCanceledException && _closing.IsCancellationRequested) throw new ObjectDisposedException(nameof(ConnectionPool));
            throw new KafkaConnectionException($"Cannot connect to {endpoint}: {e.Message}", e);
        }
    }

    /// <summary>Connects the successor of a connection whose SASL session is ending (KIP-368); the old connection is
    /// used meanwhile and retired when the new one is in place. A failure is handled like any failed connect (backoff,
    /// then another try); it is observed here because nobody may be waiting for this task.</summary>
    private Task<BrokerConnection> RenewAsync(BrokerEndpoint endpoint, Slot slot)
    {
        var renewal = ConnectAsync(endpoint, slot);
        _ = renewal.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return renewal;
    }

    /// <summary>The pause after <paramref name="failures"/> consecutive failures: base × 2^(n−1), capped, ±20% jitter.</summary>
    internal TimeSpan Backoff(int failures)
    {
        var exponent = Math.Min(failures - 1, 30);
        var ms = Math.Min(_backoff.TotalMilliseconds * Math.Pow(2, exponent), _backoffMax.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms * (0.8 + 0.4 * Random.Shared.NextDouble()));
    }

    // Not GetTimestamp() * TicksPerSecond / Frequency: with a 1 GHz Stopwatch that product overflows once uptime passes ~15 minutes (9.2e18 / 1e7 ns).
    private static TimeSpan Now() => Stopwatch.GetElapsedTime(0);

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
                        if (slot.Connection is { } c && (!c.IsAlive || (c.InFlightCount == 0 && c.IdleTime > _maxIdle)))
                        {
                            idle.Add(c);
                            slot.Connection = null;
                        }
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
            open = [.. _slots.Values.Select(s => s.Connection).OfType<BrokerConnection>()];
            _slots.Clear();
        }
        foreach (var connection in open) await connection.DisposeAsync().ConfigureAwait(false);
        await _retiring.DisposeAsync().ConfigureAwait(false);
        await _idleSweeper.ConfigureAwait(false);
        _closing.Dispose();
    }

    private sealed class Slot
    {
        public BrokerConnection? Connection;
        public Task<BrokerConnection>? Connecting;
        public int Failures;
        public TimeSpan RetryAt;
    }
}
