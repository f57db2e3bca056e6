using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace TypedKafka.Testing.Tests;

/// <summary>
/// A deliberately tiny, hand-written Kafka client for observing the embedded broker independently of TypedKafka's
/// protocol code: it writes non-flexible (v0-style) request frames byte by byte and returns the raw response body.
/// </summary>
internal sealed class RawKafkaConnection : IDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private int _correlationId;

    private RawKafkaConnection(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public static async Task<RawKafkaConnection> ConnectAsync(string hostPort, CancellationToken cancellationToken = default)
    {
        var parts = hostPort.Split(':');
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
        return new RawKafkaConnection(client);
    }

    /// <summary>Sends one request (request header v1) and returns the response body after the correlation id.</summary>
    public async Task<byte[]> SendAsync(short apiKey, short apiVersion, byte[] body, CancellationToken cancellationToken = default)
    {
        var clientId = "raw-test"u8.ToArray();
        var correlationId = ++_correlationId;
        var frame = new byte[4 + 2 + 2 + 4 + 2 + clientId.Length + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(4), apiKey);
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(6), apiVersion);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(8), correlationId);
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(12), (short)clientId.Length);
        clientId.CopyTo(frame, 14);
        body.CopyTo(frame, 14 + clientId.Length);
        await _stream.WriteAsync(frame, cancellationToken);

        var sizeBytes = await ReadExactlyAsync(4, cancellationToken);
        var size = BinaryPrimitives.ReadInt32BigEndian(sizeBytes);
        var response = await ReadExactlyAsync(size, cancellationToken);
        var echoed = BinaryPrimitives.ReadInt32BigEndian(response);
        Assert.Equal(correlationId, echoed);
        return response[4..];
    }

    /// <summary>True when the broker closed the connection (a read returns end of stream or a reset).</summary>
    public async Task<bool> IsClosedByPeerAsync(CancellationToken cancellationToken)
    {
        try
        {
            var buffer = new byte[1];
            return await _stream.ReadAsync(buffer, cancellationToken) == 0;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        await _stream.ReadExactlyAsync(buffer, cancellationToken);
        return buffer;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _client.Dispose();
    }

    public static byte[] String(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var result = new byte[2 + bytes.Length];
        BinaryPrimitives.WriteInt16BigEndian(result, (short)bytes.Length);
        bytes.CopyTo(result, 2);
        return result;
    }

    /// <summary>ApiVersions v0: returns api key → (min, max).</summary>
    public async Task<Dictionary<short, (short Min, short Max)>> ApiVersionsAsync(CancellationToken cancellationToken = default)
    {
        var body = await SendAsync(18, 0, [], cancellationToken);
        Assert.Equal(0, BinaryPrimitives.ReadInt16BigEndian(body));
        var count = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(2));
        var result = new Dictionary<short, (short, short)>();
        for (var i = 0; i < count; i++)
        {
            var at = 6 + i * 6;
            result[BinaryPrimitives.ReadInt16BigEndian(body.AsSpan(at))] =
                (BinaryPrimitives.ReadInt16BigEndian(body.AsSpan(at + 2)), BinaryPrimitives.ReadInt16BigEndian(body.AsSpan(at + 4)));
        }
        return result;
    }

    /// <summary>FindCoordinator v0 for a group: returns (error code, coordinator node id).</summary>
    public async Task<(short Error, int NodeId)> FindCoordinatorAsync(string groupId, CancellationToken cancellationToken = default)
    {
        var body = await SendAsync(10, 0, String(groupId), cancellationToken);
        return (BinaryPrimitives.ReadInt16BigEndian(body), BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(2)));
    }
}
