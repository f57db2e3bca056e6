using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using TypedKafka.Connections;
using TypedKafka.Protocol;

namespace TypedKafka.Tests.Security;

/// <summary>What the proxy does wrong on purpose.</summary>
public enum ProxyFault
{
    None,

    /// <summary>Closes the connection as soon as the client starts the TLS handshake.</summary>
    CloseDuringTls,

    /// <summary>Answers SaslHandshake, then closes when the first SaslAuthenticate arrives.</summary>
    CloseAfterSaslHandshake,

    /// <summary>Answers SaslHandshake, then never answers SaslAuthenticate.</summary>
    StallOnSaslAuthenticate,

    /// <summary>Answers SaslHandshake with ILLEGAL_SASL_STATE.</summary>
    IllegalSaslState,
}

/// <summary>The broker side of SASL as the proxy plays it.</summary>
public sealed class ProxySasl
{
    public IReadOnlyList<string> EnabledMechanisms { get; init; } = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"];

    public IReadOnlyDictionary<string, string> Users { get; init; } = new Dictionary<string, string>();

    public string ValidToken { get; init; } = "";

    public bool ForgeServerSignature { get; init; }

    /// <summary>KIP-368: the session lifetime stated in SaslAuthenticate v1+. A connection that sends a request after it
    /// has run out is closed, as a broker with <c>connections.max.reauth.ms</c> does (event "expired session used").
    /// <see cref="TimeSpan.MaxValue"/> states the largest lifetime the wire allows (<c>long.MaxValue</c> ms).</summary>
    public TimeSpan? SessionLifetime { get; init; }
}

/// <summary>
/// A TLS- and SASL-terminating proxy in front of the mock broker (which speaks PLAINTEXT only). It listens on
/// 127.0.0.1:0; with a server certificate it runs the TLS server side (requiring a client certificate signed by
/// <c>clientCa</c> when given); with <see cref="ProxySasl"/> it forwards frames to the broker until SaslHandshake,
/// adding SaslHandshake v0-1 and SaslAuthenticate v0-2 to the broker's ApiVersions answer as a SASL listener would,
/// plays the SASL exchange itself, and then relays bytes both ways.
/// </summary>
internal sealed class SecureProxy : IAsyncDisposable
{
    private readonly IPEndPoint _upstream;
    private readonly X509Certificate2? _serverCertificate;
    private readonly X509Certificate2? _clientCa;
    private readonly ProxySasl? _sasl;
    private readonly ProxyFault _fault;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Task> _connections = [];
    private readonly Task _acceptLoop;

    public SecureProxy(string upstream, X509Certificate2? serverCertificate = null, X509Certificate2? clientCa = null, ProxySasl? sasl = null, ProxyFault fault = ProxyFault.None)
    {
        var colon = upstream.LastIndexOf(':');
        _upstream = new IPEndPoint(IPAddress.Parse(upstream[..colon] == "localhost" ? "127.0.0.1" : upstream[..colon]), int.Parse(upstream[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        _serverCertificate = serverCertificate;
        _clientCa = clientCa;
        _sasl = sasl;
        _fault = fault;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    /// <summary>What happened on the proxy's side (authenticated users, client certificates, failures), for assertions.</summary>
    public ConcurrentQueue<string> Events { get; } = new();

    /// <summary>The mechanism servers that ran, in order.</summary>
    public ConcurrentQueue<ITestSaslServer> SaslServers { get; } = new();

    public BrokerEndpoint Endpoint(string host = "127.0.0.1") => new(-1, host, Port);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _connections.Add(Task.Run(() => ServeAsync(client)));
        }
    }

    private async Task ServeAsync(Socket clientSocket)
    {
        var ct = _stop.Token;
        Stream client = new NetworkStream(clientSocket, ownsSocket: true);
        Stream? upstream = null;
        try
        {
            if (_fault == ProxyFault.CloseDuringTls)
            {
                // Wait for the ClientHello, then hang up.
                var hello = new byte[1];
                _ = await client.ReadAsync(hello, ct);
                Events.Enqueue("closed during TLS");
                return;
            }
            if (_serverCertificate is not null)
            {
                var ssl = new SslStream(client, leaveInnerStreamOpen: false);
                client = ssl;
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = _serverCertificate,
                    ClientCertificateRequired = _clientCa is not null,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    RemoteCertificateValidationCallback = (_, certificate, _, _) => ValidateClient(certificate),
                }, ct);
                if (ssl.RemoteCertificate is { } presented) Events.Enqueue("client certificate " + presented.Subject);
            }
            var upstreamSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await upstreamSocket.ConnectAsync(_upstream, ct);
            }
            catch
            {
                upstreamSocket.Dispose();
                throw;
            }
            upstream = new NetworkStream(upstreamSocket, ownsSocket: true);

            if (_sasl is not null && !await SaslPhaseAsync(client, upstream, _sasl, ct)) return;

            var toBroker = _sasl?.SessionLifetime is { } lifetime
                ? RelayUntilExpiredAsync(client, upstream, lifetime)
                : client.CopyToAsync(upstream, ct);
            var toClient = upstream.CopyToAsync(client, ct);
            await Task.WhenAny(toBroker, toClient);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Events.Enqueue($"connection ended: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            await client.DisposeAsync();
            if (upstream is not null) await upstream.DisposeAsync();
        }
    }

    /// <summary>Forwards the client's requests until one arrives after the session lifetime, then ends the connection.
    /// Runs on a thread of its own with blocking reads, so that a request is timed when it arrives, as a broker (another
    /// process) would time it, even while the test process's thread pool is busy.</summary>
    private Task RelayUntilExpiredAsync(Stream client, Stream upstream, TimeSpan lifetime)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var session = System.Diagnostics.Stopwatch.StartNew();
        var thread = new Thread(() =>
        {
            try
            {
                while (ReadFrame(client) is { } frame)
                {
                    if (session.Elapsed > lifetime)
                    {
                        Events.Enqueue($"expired session used: {(ApiKey)PeekHeader(frame).ApiKey} {session.ElapsedMilliseconds} ms after authentication; closed");
                        return;
                    }
                    upstream.Write(frame);
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
            {
                // The other direction ended, or the proxy stopped.
            }
            finally
            {
                done.SetResult();
            }
        })
        { IsBackground = true, Name = "proxy relay" };
        thread.Start();
        return done.Task;
    }

    private static byte[]? ReadFrame(Stream stream)
    {
        var prefix = new byte[4];
        if (stream.ReadAtLeast(prefix, 4, throwOnEndOfStream: false) < 4) return null;
        var frame = new byte[4 + CheckedSize(prefix)];
        prefix.CopyTo(frame, 0);
        stream.ReadExactly(frame.AsSpan(4));
        return frame;
    }

    private static int CheckedSize(byte[] prefix)
    {
        var size = BinaryPrimitives.ReadInt32BigEndian(prefix);
        return size is < 0 or > 1 << 20 ? throw new IOException($"Frame size {size} is not plausible.") : size;
    }

    private bool ValidateClient(X509Certificate? certificate)
    {
        if (_clientCa is null) return true;
        if (certificate is null)
        {
            Events.Enqueue("client sent no certificate");
            return false;
        }
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_clientCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        var ok = chain.Build(leaf);
        if (!ok) Events.Enqueue("client certificate rejected: " + string.Join(", ", chain.ChainStatus.Select(s => s.Status)));
        return ok;
    }

    /// <summary>Returns true when the client authenticated and the relay may start.</summary>
    private async Task<bool> SaslPhaseAsync(Stream client, Stream upstream, ProxySasl sasl, CancellationToken ct)
    {
        ITestSaslServer? server = null;
        while (true)
        {
            var frame = await ReadFrameAsync(client, ct);
            if (frame is null) return false;
            var (apiKey, version, correlationId, bodyOffset) = PeekHeader(frame);
            switch ((ApiKey)apiKey)
            {
                case ApiKey.ApiVersions:
                {
                    await WriteFrameAsync(upstream, frame, ct);
                    var answer = await ReadFrameAsync(upstream, ct) ?? throw new IOException("The broker closed during ApiVersions.");
                    await client.WriteAsync(AddSaslApis(answer, version, correlationId), ct);
                    break;
                }
                case ApiKey.SaslHandshake:
                {
                    var request = Decode<SaslHandshakeRequest>(frame, bodyOffset, version);
                    var response = new SaslHandshakeResponse { Mechanisms = [.. sasl.EnabledMechanisms] };
                    if (_fault == ProxyFault.IllegalSaslState) response.ErrorCode = (short)ErrorCode.IllegalSaslState;
                    else if (!sasl.EnabledMechanisms.Contains(request.Mechanism)) response.ErrorCode = (short)ErrorCode.UnsupportedSaslMechanism;
                    await client.WriteAsync(KafkaFrames.EncodeResponse(response, version, correlationId), ct);
                    Events.Enqueue($"handshake {request.Mechanism} v{version}: {(ErrorCode)response.ErrorCode}");
                    if (response.ErrorCode != 0) return false;
                    server = request.Mechanism switch
                    {
                        "PLAIN" => new TestPlainServer(sasl.Users),
                        "SCRAM-SHA-256" => new TestScramServer(HashAlgorithmName.SHA256, sasl.Users, sasl.ForgeServerSignature),
                        "SCRAM-SHA-512" => new TestScramServer(HashAlgorithmName.SHA512, sasl.Users, sasl.ForgeServerSignature),
                        "OAUTHBEARER" => new TestOAuthBearerServer(sasl.ValidToken),
                        _ => throw new InvalidOperationException(request.Mechanism),
                    };
                    SaslServers.Enqueue(server);
                    break;
                }
                case ApiKey.SaslAuthenticate when server is not null:
                {
                    if (_fault == ProxyFault.CloseAfterSaslHandshake)
                    {
                        Events.Enqueue("closed mid-handshake");
                        return false;
                    }
                    if (_fault == ProxyFault.StallOnSaslAuthenticate)
                    {
                        Events.Enqueue("stalling");
                        await Task.Delay(Timeout.Infinite, ct);
                    }
                    var request = Decode<SaslAuthenticateRequest>(frame, bodyOffset, version);
                    var step = server.Step(request.AuthBytes.Span);
                    var response = new SaslAuthenticateResponse { AuthBytes = step.Response, SessionLifetimeMs = sasl.SessionLifetime == TimeSpan.MaxValue ? long.MaxValue : (long)(sasl.SessionLifetime?.TotalMilliseconds ?? 0) };
                    if (step.Failure is not null)
                    {
                        response.ErrorCode = (short)ErrorCode.SaslAuthenticationFailed;
                        response.ErrorMessage = step.Failure;
                    }
                    await client.WriteAsync(KafkaFrames.EncodeResponse(response, version, correlationId), ct);
                    if (step.Failure is not null)
                    {
                        // Kafka closes the connection after a failed authentication.
                        Events.Enqueue("authentication failed: " + step.Failure);
                        return false;
                    }
                    if (step.Done)
                    {
                        Events.Enqueue("authenticated");
                        return true;
                    }
                    break;
                }
                default:
                    // Anything else before authentication ends the connection, as a broker does.
                    Events.Enqueue($"unexpected {(ApiKey)apiKey} before authentication");
                    return false;
            }
        }
    }

    private static (short ApiKey, short Version, int CorrelationId, int BodyOffset) PeekHeader(byte[] frame)
    {
        var reader = new KafkaReader(frame.AsMemory(4));
        var header = KafkaFrames.DecodeRequestHeader(ref reader);
        return (header.RequestApiKey, header.RequestApiVersion, header.CorrelationId, 4 + reader.Position);
    }

    private static T Decode<T>(byte[] frame, int bodyOffset, short version) where T : class, IKafkaMessage<T>
    {
        var reader = new KafkaReader(frame.AsMemory(bodyOffset));
        return T.Read(ref reader, version);
    }

    /// <summary>Adds the SASL APIs to a successful ApiVersions answer; a refusal (v0 fallback) passes unchanged.</summary>
    private static byte[] AddSaslApis(byte[] answer, short version, int correlationId)
    {
        // ApiVersions responses always use response header v0: size, correlation id, body.
        var reader = new KafkaReader(answer.AsMemory(8));
        var response = ApiVersionsFallback.Read(ref reader, version, out var decoded);
        if (response.ErrorCode != 0 || decoded != version) return answer;
        if (response.ApiKeys.All(k => k.ApiKey != (short)ApiKey.SaslHandshake))
            response.ApiKeys.Add(new ApiVersionsResponse.ApiVersion { ApiKey = (short)ApiKey.SaslHandshake, MinVersion = 0, MaxVersion = 1 });
        if (response.ApiKeys.All(k => k.ApiKey != (short)ApiKey.SaslAuthenticate))
            response.ApiKeys.Add(new ApiVersionsResponse.ApiVersion { ApiKey = (short)ApiKey.SaslAuthenticate, MinVersion = 0, MaxVersion = 2 });
        return KafkaFrames.EncodeResponse(response, version, correlationId);
    }

    /// <summary>One whole frame, size prefix included; null at a clean end of stream.</summary>
    private static async Task<byte[]?> ReadFrameAsync(Stream stream, CancellationToken ct)
    {
        var prefix = new byte[4];
        var read = await stream.ReadAtLeastAsync(prefix, 4, throwOnEndOfStream: false, ct);
        if (read < 4) return null;
        var frame = new byte[4 + CheckedSize(prefix)];
        prefix.CopyTo(frame, 0);
        await stream.ReadExactlyAsync(frame.AsMemory(4), ct);
        return frame;
    }

    private static ValueTask WriteFrameAsync(Stream stream, byte[] frame, CancellationToken ct) => stream.WriteAsync(frame, ct);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        await Task.WhenAll(_connections.ToArray()).WaitAsync(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
