using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using TypedKafka.Protocol;

namespace TypedKafka.Connections;

/// <summary>
/// One TCP connection to one broker. Requests are pipelined up to <see cref="ConnectionSettings.MaxInFlightRequests"/>;
/// a single read loop matches responses to requests in order (Kafka answers in order on a connection). A request that
/// times out fails alone: its slot stays taken until the late response arrives and is discarded. Any I/O or framing
/// error closes the connection and fails everything pending on it with a <see cref="KafkaConnectionException"/>.
/// </summary>
/// <remarks>Thread-safe. Lock order: <c>_sendLock</c> (async) then <c>_pending</c> (monitor); the read loop takes only
/// <c>_pending</c>.</remarks>
internal sealed partial class BrokerConnection : IAsyncDisposable
{
    private readonly ConnectionSettings _settings;
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly SemaphoreSlim _inFlight;
    private readonly Queue<PendingRequest> _pending = new();
    private readonly CancellationTokenSource _closing = new();
    private Task _readLoop = Task.CompletedTask;
    private int _nextCorrelationId;
    private Exception? _failure;
    private long _lastActivity = Stopwatch.GetTimestamp();
    private long _renewAt = long.MaxValue;
    private long _sessionEndsAt = long.MaxValue;

    private BrokerConnection(BrokerEndpoint endpoint, ConnectionSettings settings, Socket socket, Stream stream)
    {
        Endpoint = endpoint;
        _settings = settings;
        _socket = socket;
        _stream = stream;
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        _inFlight = new SemaphoreSlim(settings.MaxInFlightRequests, settings.MaxInFlightRequests);
        Versions = ApiVersionSet.Empty;
    }

    public BrokerEndpoint Endpoint { get; }

    /// <summary>The versions negotiated with this broker (filled by the ApiVersions exchange at connect).</summary>
    public ApiVersionSet Versions { get; private set; }

    /// <summary>False once the connection failed or was closed; a new one must be made.</summary>
    public bool IsAlive => Volatile.Read(ref _failure) is null;

    /// <summary>Requests sent and not yet answered (including abandoned ones whose answer is still due).</summary>
    public int InFlightCount
    {
        get
        {
            lock (_pending) return _pending.Count;
        }
    }

    /// <summary>True once the SASL session this connection authenticated is near its end (KIP-368): between 85% and 95%
    /// of the lifetime the broker stated, chosen at random so that many connections do not renew at once. A broker closes
    /// a connection that is used after the lifetime, so its owner makes a new connection (which authenticates anew, with
    /// a fresh token for OAUTHBEARER) and lets this one finish the requests it carries.</summary>
    public bool RenewalDue => Stopwatch.GetTimestamp() >= Interlocked.Read(ref _renewAt);

    /// <summary>True once the SASL session has ended (KIP-368): the broker would close the connection at its next
    /// request, so none may be sent on it.</summary>
    public bool SessionEnded => Stopwatch.GetTimestamp() >= Interlocked.Read(ref _sessionEndsAt);

    /// <summary>How long since the last request was sent or response received.</summary>
    public TimeSpan IdleTime => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastActivity));

    /// <summary>Connects, runs the TLS handshake (SSL, SASL_SSL), starts the read loop, negotiates API versions and
    /// authenticates with SASL (SASL_PLAINTEXT, SASL_SSL; see <c>Security/</c>).</summary>
    public static async Task<BrokerConnection> ConnectAsync(BrokerEndpoint endpoint, ConnectionSettings settings, CancellationToken cancellationToken)
    {
        var socket = await OpenSocketAsync(endpoint, settings, cancellationToken).ConfigureAwait(false);
        Stream stream = new NetworkStream(socket, ownsSocket: false);
        if (settings.Tls is TlsSettings tls)
        {
            try
            {
                stream = await TlsTransport.AuthenticateAsync(stream, endpoint, tls, settings.ConnectionSetupTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose(); // the streams were disposed by TlsTransport
                throw;
            }
        }
        var connection = new BrokerConnection(endpoint, settings, socket, stream);
        connection._readLoop = Task.Run(connection.ReadLoopAsync, CancellationToken.None);
        try
        {
            try
            {
                connection.Versions = await connection.NegotiateVersionsAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (KafkaConnectionException e) when (settings.Tls is not null)
            {
                // With TLS 1.3 a broker that refuses the client certificate does so after the client's side of the
                // handshake, so the refusal shows up here as a closed connection.
                var hint = settings.Tls.CertFile is null
                    ? "when no client certificate is sent (set SslCertFile and SslKeyFile)"
                    : "when it does not trust the certificate of SslCertFile";
                throw new KafkaConnectionException(
                    $"{e.Message} The TLS handshake had succeeded: a broker that requires client certificates (ssl.client.auth=required) " +
                    $"may close the connection like this {hint}.", e);
            }
            if (settings.Sasl is SaslSettings sasl
                && await SaslAuthenticator.AuthenticateAsync(connection, sasl, settings.ConnectionSetupTimeout, cancellationToken).ConfigureAwait(false) is { } lifetime)
            {
                // 2% early: a request must reach the broker before the lifetime runs out, not merely leave.
                Interlocked.Exchange(ref connection._sessionEndsAt, After(lifetime * 0.98));
                connection.RenewAfter(lifetime * (0.85 + 0.1 * Random.Shared.NextDouble()));
            }
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<Socket> OpenSocketAsync(BrokerEndpoint endpoint, ConnectionSettings settings, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.ConnectionSetupTimeout);
        IPAddress[] addresses;
        try
        {
            // Resolved at every connect so that a broker whose DNS name moved is found again.
            addresses = IPAddress.TryParse(endpoint.Host, out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(endpoint.Host, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new KafkaConnectionException($"Cannot resolve {endpoint}: {e.Message}", e);
        }
        if (addresses.Length == 0) throw new KafkaConnectionException($"Cannot resolve {endpoint}: no addresses.");

        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            if (settings.ReceiveBufferBytes is int receive) socket.ReceiveBufferSize = receive;
            if (settings.SendBufferBytes is int send) socket.SendBufferSize = send;
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), timeout.Token).ConfigureAwait(false);
                return socket;
            }
            catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                socket.Dispose();
                last = e is OperationCanceledException
                    ? new TimeoutException($"no connection within {settings.ConnectionSetupTimeout.TotalSeconds:0.###} s")
                    : e;
            }
        }
        throw new KafkaConnectionException($"Cannot connect to {endpoint}: {last?.Message}", last);
    }

    /// <summary>Sends a request and decodes its response. The response body is copied out of any pooled memory, so the
    /// result is independent of the connection.</summary>
    public async Task<TResponse> RequestAsync<TResponse>(IKafkaRequest request, short version, CancellationToken cancellationToken, TimeSpan? timeout = null)
        where TResponse : class, IKafkaMessage<TResponse>
    {
        var frame = await SendAsync(request, version, pooled: false, timeout ?? _settings.RequestTimeout, cancellationToken).ConfigureAwait(false);
        try
        {
            return frame.Decode<TResponse>();
        }
        finally
        {
            frame.Release();
        }
    }

    /// <summary>Sends a request at <paramref name="version"/> and returns its raw response frame; the caller must
    /// <see cref="ResponseFrame.Release"/> it. <paramref name="pooled"/> reads the response into a pooled buffer.</summary>
    public async Task<ResponseFrame> SendAsync(IKafkaRequest request, short version, bool pooled, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ThrowIfFailed();
        await _inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
        var pending = new PendingRequest(request.ApiKey, version, pooled);
        var slotHandedOver = false;
        try
        {
            await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                ThrowIfFailed();
                pending.CorrelationId = ++_nextCorrelationId;
                // Encoded under the send lock so that wire order, correlation ids and the pending queue agree.
                using var frame = KafkaFrames.EncodeRequest(request, version, pending.CorrelationId, _settings.ClientId);
                lock (_pending) _pending.Enqueue(pending);
                slotHandedOver = true; // from here the read loop (or Fail) releases the in-flight slot
                Touch();
                // Not cancellable: a half-written frame would corrupt the connection for every other request.
                await _stream.WriteAsync(frame.Memory, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                Fail(new KafkaConnectionException($"Lost the connection to {Endpoint} while sending {request.ApiKey} v{version}: {e.Message}", e));
                ThrowIfFailed();
                throw;
            }
            finally
            {
                _sendLock.Release();
            }
        }
        finally
        {
            if (!slotHandedOver) _inFlight.Release();
        }

        try
        {
            return await pending.Completion.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            pending.Abandon();
            throw new KafkaTimeoutException(
                $"No response to {request.ApiKey} v{version} from {Endpoint} after {timeout.TotalSeconds:0.###} s " +
                $"({InFlightCount} requests in flight on the connection).");
        }
        catch (OperationCanceledException)
        {
            pending.Abandon();
            throw;
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync(_closing.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (KafkaFraming.TryReadFrame(ref buffer, _settings.MaxResponseBytes, out var frame))
                    Dispatch(frame);
                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    Fail(new KafkaConnectionException($"{Endpoint} closed the connection" + PendingSummary()));
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            Fail(new ObjectDisposedException(nameof(BrokerConnection), $"The connection to {Endpoint} was closed."));
        }
        catch (KafkaProtocolException e)
        {
            Fail(new KafkaConnectionException($"Closed the connection to {Endpoint} after a malformed response: {e.Message}", e));
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Fail(new KafkaConnectionException($"Lost the connection to {Endpoint}: {e.Message}" + PendingSummary(), e));
        }
        catch (Exception e)
        {
            Fail(new KafkaConnectionException($"The connection to {Endpoint} failed unexpectedly: {e.Message}", e));
        }
    }

    private void Dispatch(ReadOnlySequence<byte> frame)
    {
        Touch();
        var correlationId = KafkaFraming.PeekCorrelationId(frame);

        PendingRequest pending;
        lock (_pending)
        {
            if (!_pending.TryDequeue(out pending!))
                throw new KafkaProtocolException($"{Endpoint} sent a response with correlation id {correlationId} but no request is pending.", position: 0);
        }
        _inFlight.Release();
        if (pending.CorrelationId != correlationId)
        {
            throw new KafkaProtocolException(
                $"{Endpoint} answered correlation id {correlationId} when {pending.CorrelationId} ({pending.ApiKey} v{pending.Version}) was next.",
                (short)pending.ApiKey, pending.Version, 0);
        }
        if (pending.IsAbandoned) return;

        var length = checked((int)frame.Length);
        var array = pending.Pooled ? ResponseFrame.Pool.Rent(length) : new byte[length];
        frame.CopyTo(array);
        var bodyOffset = KafkaFrames.ReadResponseHeader(new ReadOnlyMemory<byte>(array, 0, length), pending.ApiKey, pending.Version, out _);
        var response = new ResponseFrame(array, bodyOffset, length, pending.Pooled, pending.ApiKey, pending.Version);
        if (!pending.Completion.TrySetResult(response)) response.Release();
    }

    private void Fail(Exception reason)
    {
        if (Interlocked.CompareExchange(ref _failure, reason, null) is not null) return;
        PendingRequest[] failed;
        lock (_pending)
        {
            failed = [.. _pending];
            _pending.Clear();
        }
        foreach (var pending in failed)
        {
            _inFlight.Release();
            pending.Completion.TrySetException(reason is KafkaConnectionException or ObjectDisposedException
                ? reason
                : new KafkaConnectionException(reason.Message, reason));
        }
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        _socket.Dispose();
    }

    private void ThrowIfFailed()
    {
        var failure = Volatile.Read(ref _failure);
        if (failure is null) return;
        throw failure is ObjectDisposedException ? new ObjectDisposedException(failure.Message) : new KafkaConnectionException(failure.Message, failure);
    }

    private string PendingSummary()
    {
        PendingRequest[] snapshot;
        lock (_pending) snapshot = [.. _pending];
        if (snapshot.Length == 0) return ".";
        return " while waiting for " + string.Join(", ", snapshot.Select(p => $"{p.ApiKey} v{p.Version} (sent {p.Age.TotalMilliseconds:0} ms ago)")) + ".";
    }

    /// <summary>Makes <see cref="RenewalDue"/> true after <paramref name="delay"/> (from now).</summary>
    internal void RenewAfter(TimeSpan delay) => Interlocked.Exchange(ref _renewAt, After(delay));

    private static long After(TimeSpan delay) => Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Closes the connection once the requests already sent on it are answered and it has been idle for
    /// <see cref="RetireQuiet"/> (a caller that obtained it just before its successor may still be sending), or after
    /// <paramref name="limit"/> at the latest. Used for a connection that has been replaced.</summary>
    public async Task RetireAsync(TimeSpan limit)
    {
        var waited = Stopwatch.StartNew();
        try
        {
            while (IsAlive && waited.Elapsed < limit && (InFlightCount > 0 || IdleTime < RetireQuiet))
                await Task.Delay(RetirePoll, _closing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return; // disposed meanwhile
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        await DisposeAsync().ConfigureAwait(false);
    }

    private static readonly TimeSpan RetirePoll = TimeSpan.FromMilliseconds(50);

    /// <summary>How long a replaced connection must have been idle before it is closed.</summary>
    private static readonly TimeSpan RetireQuiet = TimeSpan.FromMilliseconds(200);

    private void Touch() => Interlocked.Exchange(ref _lastActivity, Stopwatch.GetTimestamp());

    public async ValueTask DisposeAsync()
    {
        if (_closing.IsCancellationRequested) return;
        _closing.Cancel();
        Fail(new ObjectDisposedException(nameof(BrokerConnection), $"The connection to {Endpoint} was closed."));
        try
        {
            await _readLoop.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The read loop reports its failure through Fail; nothing more to do at close.
        }
        await _reader.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        _closing.Dispose();
    }

    public override string ToString() => $"connection to {Endpoint}";

    private sealed class PendingRequest(ApiKey apiKey, short version, bool pooled)
    {
        private readonly long _created = Stopwatch.GetTimestamp();
        private volatile bool _abandoned;

        public ApiKey ApiKey { get; } = apiKey;

        public short Version { get; } = version;

        public bool Pooled { get; } = pooled;

        public int CorrelationId { get; set; }

        public TaskCompletionSource<ResponseFrame> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsAbandoned => _abandoned;

        public TimeSpan Age => Stopwatch.GetElapsedTime(_created);

        /// <summary>The caller stopped waiting; the response, when it comes, is read and dropped.</summary>
        public void Abandon()
        {
            _abandoned = true;
            // If the response raced in before the flag was seen, release it once it is set.
            Completion.Task.ContinueWith(static t => t.Result.Release(), CancellationToken.None,
                TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
