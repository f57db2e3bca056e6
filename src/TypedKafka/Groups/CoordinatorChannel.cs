using Microsoft.Extensions.Logging;
using TypedKafka.Connections;
using TypedKafka.Metadata;
using TypedKafka.Protocol;

namespace TypedKafka.Groups;

/// <summary>
/// Finds a group's coordinator (FindCoordinator to any broker) and keeps a dedicated connection to it. The connection
/// is separate from the pool's connection to the same broker because a broker answers one request per connection at
/// a time and holds a JoinGroup or SyncGroup until the rebalance completes: fetches must not queue behind it. The
/// connection is a <see cref="KeptConnection"/> (renewed before its SASL session ends, like the pool's).
/// </summary>
/// <remarks>
/// <para>Thread-safe: the caller's poll, the heartbeat loop and the commit loop share it. Concurrent lookups share one
/// discovery task; <c>_gate</c> guards the fields and is never held across an await.</para>
/// <para>The coordinator is forgotten (<see cref="MarkUnknown"/>) on NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE, on a
/// lost connection and on a request timeout, and found again on the next request. Discovery retries retriable errors
/// and unreachable coordinators with exponential backoff until it succeeds, the caller gives up, or the channel closes.</para>
/// </remarks>
internal sealed class CoordinatorChannel : IAsyncDisposable
{
    private readonly ConsumerOptions _options;
    private readonly MetadataManager _metadata;
    private readonly ILogger _log;
    private readonly string _groupId;
    private readonly object _gate = new();
    private readonly CancellationTokenSource _closing = new();
    private KeptConnection? _kept;
    private Task<BrokerConnection>? _finding;
    private readonly RetiringConnections _retiring = new();
    private int _discoveries;

    public CoordinatorChannel(ConsumerOptions options, MetadataManager metadata, ILogger log, string groupId)
    {
        _options = options;
        _metadata = metadata;
        _log = log;
        _groupId = groupId;
    }

    /// <summary>The coordinator currently connected to, or null while unknown.</summary>
    public BrokerEndpoint? Coordinator
    {
        get
        {
            lock (_gate) return _kept?.Open?.Endpoint;
        }
    }

    /// <summary>How many times a coordinator was discovered (for tests and metrics).</summary>
    public int Discoveries
    {
        get { lock (_gate) return _discoveries; }
    }

    /// <summary>A live connection to the coordinator, discovering it (and waiting out backoff) when needed.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired first.</exception>
    /// <exception cref="KafkaAuthorizationException">The group is not authorized.</exception>
    /// <exception cref="KafkaBrokerException">FindCoordinator failed with an error that retrying cannot fix.</exception>
    public async Task<BrokerConnection> GetAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task waitFor;
            KeptConnection? kept;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_closing.IsCancellationRequested, this);
                kept = _kept;
                if (kept is not null && kept.Open is null)
                {
                    Forget("the connection was lost");
                    kept = null;
                }
                waitFor = kept is null ? _finding ??= FindAsync() : Task.CompletedTask;
            }
            // An open connection (its successor made in the background near the end of its SASL session), or, once
            // the session ended, the successor.
            if (kept is not null) return await kept.GetAsync(cancellationToken).ConfigureAwait(false);
            await waitFor.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends a request to the coordinator at the version negotiated for <paramref name="api"/>. A lost
    /// connection or a timeout forgets the coordinator and rethrows (see <see cref="IsTransportFailure"/>).</summary>
    public async Task<(TResponse Response, short Version, BrokerConnection Connection)> SendAsync<TResponse>(
        ApiKey api, Func<short, IKafkaRequest> build, CancellationToken cancellationToken, TimeSpan? timeout = null, short? maxVersion = null)
        where TResponse : class, IKafkaMessage<TResponse>
    {
        var connection = await GetAsync(cancellationToken).ConfigureAwait(false);
        var version = connection.Versions.Pick(api, maxVersion, connection.Endpoint.ToString());
        try
        {
            var response = await connection.RequestAsync<TResponse>(build(version), version, cancellationToken, timeout).ConfigureAwait(false);
            return (response, version, connection);
        }
        catch (Exception e) when (IsTransportFailure(e) && !cancellationToken.IsCancellationRequested)
        {
            MarkUnknown(connection, $"{api} failed: {e.Message}");
            throw;
        }
    }

    /// <summary>Forgets the coordinator when <paramref name="failedOn"/> is the current connection (or is null), so
    /// that the next request discovers it again.</summary>
    public void MarkUnknown(BrokerConnection? failedOn, string reason)
    {
        lock (_gate)
        {
            if (_kept is null) return;
            if (failedOn is not null && !ReferenceEquals(failedOn, _kept.Open)) return;
            Forget(reason);
        }
    }

    /// <summary>True for failures of the transport rather than answers from the broker: a lost or refused connection,
    /// a request timeout, or a connection closed under the request.</summary>
    public static bool IsTransportFailure(Exception e) =>
        e is KafkaConnectionException or KafkaTimeoutException or ObjectDisposedException or IOException;

    private void Forget(string reason)
    {
        var old = _kept!;
        _kept = null;
        _log.LogInformation("Group coordinator {Coordinator} of group {Group} is unavailable or invalid ({Reason}); it will be rediscovered.",
            old.Endpoint, _groupId, reason);
        if (old.Take() is { } connection) _ = connection.DisposeAsync().AsTask();
    }

    private async Task<BrokerConnection> FindAsync()
    {
        await Task.Yield();
        var token = _closing.Token;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                token.ThrowIfCancellationRequested();
                BrokerEndpoint? endpoint = null;
                try
                {
                    endpoint = await LookupAsync(token).ConfigureAwait(false);
                    // A JoinGroup can be held by the broker for up to the rebalance timeout (MaxPollInterval): a
                    // replaced connection may take that long to answer what it carries.
                    var kept = new KeptConnection(endpoint, _metadata.Pool.Settings, Backoff, _options.MaxPollInterval + _options.RequestTimeout, _retiring, token);
                    var connection = await kept.GetAsync(token).ConfigureAwait(false);
                    lock (_gate)
                    {
                        if (_closing.IsCancellationRequested)
                        {
                            _ = kept.Take()?.DisposeAsync().AsTask();
                            throw new ObjectDisposedException(nameof(CoordinatorChannel));
                        }
                        _kept = kept;
                        _discoveries++;
                    }
                    _log.LogInformation("Discovered group coordinator {Coordinator} for group {Group}.", endpoint, _groupId);
                    return connection;
                }
                catch (Exception e) when (!token.IsCancellationRequested && IsRetriable(e))
                {
                    var pause = Backoff(attempt);
                    _log.Log(attempt <= 3 ? LogLevel.Debug : LogLevel.Information,
                        "Finding the coordinator of group {Group} failed ({Error}){Where}; retrying in {Pause} ms.",
                        _groupId, e.Message, endpoint is null ? "" : $" at {endpoint}", (int)pause.TotalMilliseconds);
                    if (e is KafkaConnectionException) _metadata.RequestRefresh();
                    await Task.Delay(pause, token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw new ObjectDisposedException(nameof(CoordinatorChannel), "The group coordinator channel was closed.");
        }
        finally
        {
            lock (_gate) _finding = null;
        }
    }

    private static bool IsRetriable(Exception e) =>
        IsTransportFailure(e) || (e is KafkaBrokerException b && (b.IsRetriable || b.ErrorCode == ErrorCode.NotCoordinator));

    private TimeSpan Backoff(int attempt)
    {
        var baseMs = Math.Max(_options.RetryBackoff.TotalMilliseconds, 1);
        var capMs = Math.Max(baseMs, Math.Max(_options.ReconnectBackoffMax.TotalMilliseconds, 1000));
        var ms = Math.Min(baseMs * Math.Pow(2, Math.Min(attempt - 1, 20)), capMs);
        return TimeSpan.FromMilliseconds(ms * (0.8 + 0.4 * Random.Shared.NextDouble()));
    }

    /// <summary>One FindCoordinator round trip to any broker (v0–v3: one key; v4+: a batch of one key).</summary>
    private async Task<BrokerEndpoint> LookupAsync(CancellationToken cancellationToken)
    {
        var current = _metadata.Current;
        IReadOnlyList<BrokerEndpoint> candidates = current.Brokers.Count > 0 ? [.. current.Brokers.Values] : _metadata.Pool.Bootstrap;
        BrokerConnection connection;
        try
        {
            connection = await _metadata.Pool.GetAnyAsync(candidates, cancellationToken).ConfigureAwait(false);
        }
        catch (KafkaConnectionException) when (!ReferenceEquals(candidates, _metadata.Pool.Bootstrap))
        {
            connection = await _metadata.Pool.GetAnyAsync(_metadata.Pool.Bootstrap, cancellationToken).ConfigureAwait(false);
        }

        var version = connection.Versions.Pick(ApiKey.FindCoordinator, broker: connection.Endpoint.ToString());
        var request = new FindCoordinatorRequest();
        if (version >= 4) request.CoordinatorKeys = [_groupId];
        else request.Key = _groupId;
        // KeyType 0 (group) is the default.
        var response = await connection.RequestAsync<FindCoordinatorResponse>(request, version, cancellationToken).ConfigureAwait(false);

        ErrorCode error;
        string? message;
        int nodeId, port;
        string host;
        if (version >= 4)
        {
            var entry = response.Coordinators.FirstOrDefault(c => c.Key == _groupId)
                ?? throw new KafkaBrokerException(ErrorCode.CoordinatorNotAvailable, $"{connection.Endpoint} answered FindCoordinator v{version} without the key '{_groupId}'.");
            (error, message, nodeId, host, port) = ((ErrorCode)entry.ErrorCode, entry.ErrorMessage, entry.NodeId, entry.Host, entry.Port);
        }
        else
        {
            (error, message, nodeId, host, port) = ((ErrorCode)response.ErrorCode, response.ErrorMessage, response.NodeId, response.Host, response.Port);
        }
        if (error == ErrorCode.None) return new BrokerEndpoint(nodeId, host, port);
        var text = $"FindCoordinator for group '{_groupId}' at {connection.Endpoint}: {ErrorCodes.KafkaName(error)} ({message ?? ErrorCodes.Describe(error)})";
        if (error == ErrorCode.GroupAuthorizationFailed) throw new KafkaAuthorizationException(text);
        throw new KafkaBrokerException(error, text);
    }

    public async ValueTask DisposeAsync()
    {
        BrokerConnection? connection;
        lock (_gate)
        {
            if (_closing.IsCancellationRequested) return;
            _closing.Cancel();
            connection = _kept?.Take();
            _kept = null;
        }
        if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
        await _retiring.DisposeAsync().ConfigureAwait(false);
    }
}
