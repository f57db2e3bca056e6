using System.Buffers;
using System.Buffers.Binary;

namespace TypedKafka.Protocol;

/// <summary>
/// Whole frames for the connection layer: size prefix + header + body for requests, header + body for
/// responses. The response side also serves a fake broker in tests (decode requests, encode responses).
/// </summary>
public static class KafkaFrames
{
    /// <summary>Size of the complete request frame, size prefix included.</summary>
    public static int ComputeRequestFrameSize<TRequest>(TRequest request, short version, string? clientId)
        where TRequest : IKafkaRequest
    {
        short headerVersion = HeaderVersions.RequestHeaderVersion((short)request.ApiKey, version);
        return KafkaFraming.SizePrefixLength + RequestHeaderSize(headerVersion, clientId) + request.ComputeSize(version);
    }

    /// <summary>Encodes a request frame into a pooled buffer. Throws <see cref="UnsupportedVersionException"/> when a set field does not exist at <paramref name="version"/>.</summary>
    public static PooledFrame EncodeRequest<TRequest>(TRequest request, short version, int correlationId, string? clientId)
        where TRequest : IKafkaRequest
    {
        int size = ComputeRequestFrameSize(request, version, clientId);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            WriteRequest(buffer.AsSpan(0, size), request, version, correlationId, clientId);
            return new PooledFrame(buffer, size);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>Encodes a request frame straight into <paramref name="output"/> (e.g. a PipeWriter).</summary>
    public static int EncodeRequest<TRequest>(IBufferWriter<byte> output, TRequest request, short version, int correlationId, string? clientId)
        where TRequest : IKafkaRequest
    {
        ArgumentNullException.ThrowIfNull(output);
        int size = ComputeRequestFrameSize(request, version, clientId);
        WriteRequest(output.GetSpan(size)[..size], request, version, correlationId, clientId);
        output.Advance(size);
        return size;
    }

    private static void WriteRequest<TRequest>(Span<byte> destination, TRequest request, short version, int correlationId, string? clientId)
        where TRequest : IKafkaRequest
    {
        short apiKey = (short)request.ApiKey;
        short headerVersion = HeaderVersions.RequestHeaderVersion(apiKey, version);
        var writer = new KafkaWriter(destination);
        writer.WriteInt32(destination.Length - KafkaFraming.SizePrefixLength);
        writer.WriteInt16(apiKey);
        writer.WriteInt16(version);
        writer.WriteInt32(correlationId);
        if (headerVersion >= 1) writer.WriteNullableString(clientId);
        if (headerVersion >= 2) writer.WriteUnsignedVarint(0);
        request.Write(ref writer, version);
        if (writer.Remaining != 0) throw new InvalidOperationException($"{request.GetType().Name}.ComputeSize disagrees with Write by {writer.Remaining} byte(s)");
    }

    private static int RequestHeaderSize(short headerVersion, string? clientId) =>
        8 + (headerVersion >= 1 ? KafkaWriter.SizeOfNullableString(clientId, compact: false) : 0) + (headerVersion >= 2 ? 1 : 0);

    /// <summary>
    /// Decodes a response frame (without its size prefix): the header for the API and version the request
    /// used, then the body. Bytes and records fields of the result are slices of <paramref name="frame"/>,
    /// which must therefore stay untouched (not returned to a pool) while the response is in use.
    /// </summary>
    public static TResponse DecodeResponse<TResponse>(ReadOnlyMemory<byte> frame, short version, out int correlationId)
        where TResponse : class, IKafkaResponse, IKafkaApiMessage<TResponse>
    {
        var apiKey = TResponse.MessageApiKey;
        var bodyOffset = ReadResponseHeader(frame, apiKey, version, out correlationId);
        return DecodeResponseBody<TResponse>(frame[bodyOffset..], apiKey, version);
    }

    /// <summary>As <see cref="DecodeResponse{TResponse}(ReadOnlyMemory{byte}, short, out int)"/>; a multi-segment frame is copied into one new array first.</summary>
    public static TResponse DecodeResponse<TResponse>(ReadOnlySequence<byte> frame, short version, out int correlationId)
        where TResponse : class, IKafkaResponse, IKafkaApiMessage<TResponse>
    {
        var memory = frame.IsSingleSegment ? frame.First : frame.ToArray();
        return DecodeResponse<TResponse>(memory, version, out correlationId);
    }

    /// <summary>
    /// Reads a response frame's header (without its size prefix) and returns where the body starts. The header version
    /// follows from the API and version the request used: v1 (flexible versions, KIP-482) adds a tagged-field section
    /// after the correlation id. The connection layer reads headers with this, then the body with
    /// <see cref="DecodeResponseBody{T}"/>: the same two steps as <see cref="DecodeResponse{TResponse}(ReadOnlyMemory{byte}, short, out int)"/>.
    /// </summary>
    public static int ReadResponseHeader(ReadOnlyMemory<byte> frame, ApiKey apiKey, short version, out int correlationId)
    {
        var reader = new KafkaReader(frame, (short)apiKey, version);
        correlationId = reader.ReadInt32();
        if (HeaderVersions.ResponseHeaderVersion((short)apiKey, version) >= 1) reader.ReadUnknownTaggedFields();
        return reader.Position;
    }

    /// <summary>Decodes a response body; a malformed body becomes a <see cref="KafkaProtocolException"/> naming the API
    /// and version. Trailing bytes are ignored, as Kafka's own clients do (librdkafka's 2.16 mock broker ends every
    /// flexible Metadata response with one extra byte).</summary>
    public static T DecodeResponseBody<T>(ReadOnlyMemory<byte> body, ApiKey apiKey, short version)
        where T : class, IKafkaMessage<T>
    {
        var reader = new KafkaReader(body, (short)apiKey, version);
        try
        {
            return T.Read(ref reader, version);
        }
        catch (KafkaProtocolException e)
        {
            throw e.WithApi((short)apiKey, version);
        }
    }

    /// <summary>For a fake broker: reads the request header (whatever its version) and leaves the reader on the body.</summary>
    public static RequestHeader DecodeRequestHeader(ref KafkaReader reader) => RequestHeader.Read(ref reader);

    /// <summary>For a fake broker: encodes a response frame (size prefix + header + body).</summary>
    public static byte[] EncodeResponse<TResponse>(TResponse response, short version, int correlationId)
        where TResponse : IKafkaResponse
    {
        short headerVersion = HeaderVersions.ResponseHeaderVersion((short)response.ApiKey, version);
        var header = new ResponseHeader { CorrelationId = correlationId };
        int bodySize = header.ComputeSize(headerVersion) + response.ComputeSize(version);
        var buffer = new byte[KafkaFraming.SizePrefixLength + bodySize];
        BinaryPrimitives.WriteInt32BigEndian(buffer, bodySize);
        var writer = new KafkaWriter(buffer.AsSpan(KafkaFraming.SizePrefixLength));
        header.Write(ref writer, headerVersion);
        response.Write(ref writer, version);
        return buffer;
    }
}
