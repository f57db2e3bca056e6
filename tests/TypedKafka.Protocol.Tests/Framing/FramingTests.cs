using System.Buffers;
using static TypedKafka.Protocol.Tests.Primitives.Bytes;

namespace TypedKafka.Protocol.Tests.Framing;

public class FramingTests
{
    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data, Segment? previous)
        {
            Memory = data;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }

    /// <summary>A sequence cut into the given chunk sizes, like successive socket reads.</summary>
    private static ReadOnlySequence<byte> Chunked(byte[] data, params int[] sizes)
    {
        Segment? first = null, last = null;
        int offset = 0;
        foreach (int size in sizes.Append(data.Length))
        {
            int take = Math.Min(size, data.Length - offset);
            if (take <= 0 && first is not null) break;
            last = new Segment(data[offset..(offset + take)], last);
            first ??= last;
            offset += take;
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    [Fact]
    public void ReadsFramesAndNeedsMoreBytes()
    {
        byte[] stream = Of(I32(3), 1, 2, 3, I32(0), I32(2), 9);
        var buffer = new ReadOnlySequence<byte>(stream);
        Assert.True(KafkaFraming.TryReadFrame(ref buffer, 100, out var frame));
        Assert.Equal(new byte[] { 1, 2, 3 }, frame.ToArray());
        Assert.True(KafkaFraming.TryReadFrame(ref buffer, 100, out frame));
        Assert.Equal(0, frame.Length);
        Assert.False(KafkaFraming.TryReadFrame(ref buffer, 100, out _));
        Assert.Equal(5, buffer.Length); // untouched: the third frame is incomplete
    }

    [Fact]
    public void SizePrefixSplitAcrossSegments()
    {
        byte[] stream = Of(I32(300), new byte[300]);
        for (int split = 1; split < 4; split++)
        {
            var buffer = Chunked(stream, split, 2, 100);
            Assert.True(KafkaFraming.TryReadFrame(ref buffer, 1000, out var frame));
            Assert.Equal(300, frame.Length);
            Assert.Equal(0, buffer.Length);
        }
        var partial = Chunked(stream[..3], 1, 1);
        Assert.False(KafkaFraming.TryReadFrame(ref partial, 1000, out _));
    }

    [Fact]
    public void OversizedOrNegativeFrameThrowsBeforeBuffering()
    {
        // Only the prefix has arrived; the decision must not wait for the body.
        var buffer = new ReadOnlySequence<byte>(I32(1_000_001));
        Assert.Throws<KafkaProtocolException>(() => KafkaFraming.TryReadFrame(ref buffer, 1_000_000, out _));
        buffer = new ReadOnlySequence<byte>(I32(-5));
        Assert.Throws<KafkaProtocolException>(() => KafkaFraming.TryReadFrame(ref buffer, 1_000_000, out _));
        // "HTTP" read as a size: the classic symptom of a wrong port.
        buffer = new ReadOnlySequence<byte>("HTTP"u8.ToArray());
        Assert.Throws<KafkaProtocolException>(() => KafkaFraming.TryReadFrame(ref buffer, 100 * 1024 * 1024, out _));
    }

    [Fact]
    public void EncodesRequestFrameAndDecodesResponseFrame()
    {
        var request = new FindCoordinatorRequest { Key = "group" };
        using var frame = KafkaFrames.EncodeRequest(request, 0, correlationId: 9, clientId: "c");
        byte[] body = Of(I16(10), I16(0), I32(9), Str("c"), Str("group"));
        Assert.Equal(Of(I32(body.Length), body), frame.Memory.ToArray());

        var writer = new ArrayBufferWriter<byte>();
        int written = KafkaFrames.EncodeRequest(writer, request, 0, 9, "c");
        Assert.Equal(frame.Memory.ToArray(), writer.WrittenSpan.ToArray());
        Assert.Equal(written, frame.Length);

        // Flexible request: header v2 with an empty tagged section, client id still classic.
        using var flexible = KafkaFrames.EncodeRequest(new FindCoordinatorRequest { CoordinatorKeys = ["g"] }, 4, 1, "c");
        byte[] flexBody = Of(I16(10), I16(4), I32(1), Str("c"), NoTags, I8(0), CArr(1), CStr("g"), NoTags);
        Assert.Equal(Of(I32(flexBody.Length), flexBody), flexible.Memory.ToArray());

        byte[] response = Of(I32(9), NoTags, I32(0), CArr(1), CStr("g"), I32(2), CStr("h"), I32(9092), I16(0), CStr(null), NoTags, NoTags);
        var decoded = KafkaFrames.DecodeResponse<FindCoordinatorResponse>(response, 4, out int correlationId);
        Assert.Equal(9, correlationId);
        Assert.Equal("h", Assert.Single(decoded.Coordinators).Host);

        // Multi-segment frame.
        var sequence = Chunked(response, 3, 5);
        decoded = KafkaFrames.DecodeResponse<FindCoordinatorResponse>(sequence, 4, out correlationId);
        Assert.Equal(9092, decoded.Coordinators[0].Port);
        Assert.Equal(9, KafkaFraming.PeekCorrelationId(sequence));
    }

    [Fact]
    public void FakeBrokerSideRoundTrip()
    {
        using var frame = KafkaFrames.EncodeRequest(new HeartbeatRequest { GroupId = "g", GenerationId = 3, MemberId = "m" }, 4, 77, "client");
        var reader = new KafkaReader(frame.Memory[4..]);
        var header = KafkaFrames.DecodeRequestHeader(ref reader);
        Assert.Equal((short)ApiKey.Heartbeat, header.RequestApiKey);
        Assert.Equal("client", header.ClientId);
        var request = HeartbeatRequest.Read(ref reader, header.RequestApiVersion);
        Assert.Equal(3, request.GenerationId);

        byte[] response = KafkaFrames.EncodeResponse(new HeartbeatResponse { ErrorCode = (short)ErrorCode.RebalanceInProgress }, 4, header.CorrelationId);
        var decoded = KafkaFrames.DecodeResponse<HeartbeatResponse>(response.AsMemory(4), 4, out int correlationId);
        Assert.Equal(77, correlationId);
        Assert.Equal(ErrorCode.RebalanceInProgress, (ErrorCode)decoded.ErrorCode);
    }

    [Fact]
    public void PooledFrameRejectsUseAfterDispose()
    {
        var frame = KafkaFrames.EncodeRequest(new ApiVersionsRequest(), 0, 1, null);
        frame.Dispose();
        frame.Dispose();
        Assert.Throws<ObjectDisposedException>(() => frame.Memory);
    }
}
