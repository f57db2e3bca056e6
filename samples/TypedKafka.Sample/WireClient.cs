using System.Buffers.Binary;
using System.Net.Sockets;
using TypedKafka.Protocol;

namespace TypedKafka.Sample;

/// <summary>
/// A deliberately small request/response client over TypedKafka.Protocol's public API, used by the sample until
/// <c>KafkaConsumer</c> lands (issue 4). One request at a time; versions negotiated with ApiVersions.
/// </summary>
internal sealed class WireClient : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private ApiVersionsResponse? _brokerVersions;
    private int _correlationId;

    private WireClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public static async Task<WireClient> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(host, port, cancellationToken);
        var client = new WireClient(tcp);
        // ApiVersions v2 is understood by every broker from Kafka 2.0 on and needs no fallback.
        client._brokerVersions = await client.RequestAsync<ApiVersionsResponse>(new ApiVersionsRequest(), 2, cancellationToken);
        if (client._brokerVersions.ErrorCode != 0)
            throw new KafkaException($"ApiVersions failed: {ErrorCodes.KafkaName((ErrorCode)client._brokerVersions.ErrorCode)}");
        return client;
    }

    /// <summary>The highest version of <paramref name="api"/> both TypedKafka and this broker support.</summary>
    public short Version(ApiKey api) =>
        VersionNegotiation.PickVersion(api, _brokerVersions!) ?? throw new UnsupportedVersionException($"The broker and TypedKafka share no version of {api}.");

    public async Task<TResponse> RequestAsync<TResponse>(IKafkaRequest request, short version, CancellationToken cancellationToken)
        where TResponse : class, IKafkaResponse, IKafkaApiMessage<TResponse>
    {
        var id = ++_correlationId;
        using (var frame = KafkaFrames.EncodeRequest(request, version, id, "typedkafka-sample"))
            await _stream.WriteAsync(frame.Memory, cancellationToken);

        var size = new byte[4];
        await _stream.ReadExactlyAsync(size, cancellationToken);
        var body = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
        await _stream.ReadExactlyAsync(body, cancellationToken);
        var response = KafkaFrames.DecodeResponse<TResponse>(body, version, out var answered);
        if (answered != id) throw new KafkaProtocolException($"Expected correlation id {id}, got {answered}.");
        return response;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _tcp.Dispose();
    }
}
