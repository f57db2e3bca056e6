using System.Diagnostics;

namespace TypedKafka.Connections;

/// <summary>
/// Keeps one connection to one broker: connects on demand, after the backoff still due from earlier failures; when the
/// SASL session nears its end (KIP-368) it connects a successor in the background while the old connection serves on,
/// and retires the old one once the successor is in place (it finishes what it carries, then closes). A caller that
/// finds the session already ended, or the connection lost, waits for the new connection.
/// </summary>
/// <remarks>The one connection-keeping mechanism: each broker slot of <see cref="ConnectionPool"/> is one, and so is
/// the group coordinator's dedicated connection (<c>Groups.CoordinatorChannel</c>). Thread-safe; its lock is never held
/// across an await, and nothing else is locked inside it.</remarks>
internal sealed class KeptConnection
{
    private readonly ConnectionSettings _settings;
    private readonly Func<int, TimeSpan> _backoff;
    private readonly TimeSpan _retireLimit;
    private readonly RetiringConnections _retiring;
    private readonly CancellationToken _closing;
    private readonly object _gate = new();
    private BrokerConnection? _connection;
    private Task<BrokerConnection>? _connecting;
    private int _failures;
    private TimeSpan _retryAt;
    private bool _detached;

    /// <param name="endpoint">The broker.</param>
    /// <param name="settings">How to connect (TLS, SASL, timeouts).</param>
    /// <param name="backoff">The pause after n consecutive failed connects.</param>
    /// <param name="retireLimit">How long a replaced connection may take to answer what it carries.</param>
    /// <param name="retiring">Where replaced connections finish (closed with their owner).</param>
    /// <param name="closing">Cancelled when the owner closes.</param>
    public KeptConnection(BrokerEndpoint endpoint, ConnectionSettings settings, Func<int, TimeSpan> backoff, TimeSpan retireLimit,
        RetiringConnections retiring, CancellationToken closing)
    {
        Endpoint = endpoint;
        _settings = settings;
        _backoff = backoff;
        _retireLimit = retireLimit;
        _retiring = retiring;
        _closing = closing;
    }

    public BrokerEndpoint Endpoint { get; }

    /// <summary>The connection when it is open, else null.</summary>
    public BrokerConnection? Open
    {
        get
        {
            lock (_gate) return _connection is { IsAlive: true } c ? c : null;
        }
    }

    /// <summary>False while a failed connect's backoff is still running (and nothing is open).</summary>
    public bool IsReady
    {
        get
        {
            lock (_gate) return _connection is { IsAlive: true } || _retryAt <= Now();
        }
    }

    /// <summary>An open connection, connecting (after any backoff still due) if needed. A connection whose SASL session
    /// is near its end is returned while its successor is made in the background.</summary>
    public async Task<BrokerConnection> GetAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task<BrokerConnection>? connecting;
            TimeSpan wait;
            lock (_gate)
            {
                if (_connection is { IsAlive: true, SessionEnded: false } alive)
                {
                    if (alive.RenewalDue && _connecting is null && _retryAt <= Now()) _connecting = RenewAsync();
                    return alive;
                }
                // No connection, a lost one, or a session that ended before its successor was ready: wait for a new one,
                // which retires the old one.
                wait = TimeSpan.Zero;
                connecting = _connecting;
                if (connecting is null)
                {
                    wait = _retryAt - Now();
                    if (wait <= TimeSpan.Zero) _connecting = connecting = ConnectAsync();
                }
            }
            if (connecting is null)
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                continue;
            }
            return await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Takes the connection away when it is closed, or open but idle longer than <paramref name="maxIdle"/>
    /// with nothing in flight; the caller closes it.</summary>
    public BrokerConnection? TakeIfIdle(TimeSpan maxIdle)
    {
        lock (_gate)
        {
            if (_connection is not { } c || (c.IsAlive && (c.InFlightCount > 0 || c.IdleTime <= maxIdle))) return null;
            _connection = null;
            return c;
        }
    }

    /// <summary>Takes the connection away for good (whatever its state; the caller closes it): a connect still under
    /// way closes what it makes, and none is made again.</summary>
    public BrokerConnection? Take()
    {
        lock (_gate)
        {
            _detached = true;
            var c = _connection;
            _connection = null;
            return c;
        }
    }

    private async Task<BrokerConnection> ConnectAsync()
    {
        await Task.Yield();
        try
        {
            var connection = await BrokerConnection.ConnectAsync(Endpoint, _settings, _closing).ConfigureAwait(false);
            BrokerConnection? replaced;
            var closed = false;
            lock (_gate)
            {
                _connecting = null;
                _failures = 0;
                if (_detached || _closing.IsCancellationRequested)
                {
                    closed = true;
                    replaced = null;
                }
                else
                {
                    replaced = _connection;
                    _connection = connection;
                }
            }
            if (closed)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw new KeptConnectionClosedException();
            }
            if (replaced is not null) _retiring.Retire(replaced, _retireLimit);
            return connection;
        }
        catch (KeptConnectionClosedException)
        {
            throw new ObjectDisposedException(nameof(KeptConnection));
        }
        catch (Exception e)
        {
            lock (_gate)
            {
                _connecting = null;
                _failures++;
                _retryAt = Now() + _backoff(_failures);
            }
            if (e is KafkaException) throw;
            if (e is OperationCanceledException && _closing.IsCancellationRequested) throw new ObjectDisposedException(nameof(KeptConnection));
            throw new KafkaConnectionException($"Cannot connect to {Endpoint}: {e.Message}", e);
        }
    }

    /// <summary>Connects the successor of a connection whose SASL session is ending; a failure is handled like any
    /// failed connect (backoff, then another try) and observed here, since nobody may be waiting for this task.</summary>
    private Task<BrokerConnection> RenewAsync()
    {
        var renewal = ConnectAsync();
        _ = renewal.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return renewal;
    }

    /// <summary>A connect finished after its owner closed (or dropped this connection for good).</summary>
    private sealed class KeptConnectionClosedException : Exception;

    // Not GetTimestamp() * TicksPerSecond / Frequency: with a 1 GHz Stopwatch that product overflows once uptime passes ~15 minutes (9.2e18 / 1e7 ns).
    private static TimeSpan Now() => Stopwatch.GetElapsedTime(0);
}
