using System.Buffers;
using TypedKafka.Protocol;

namespace TypedKafka.Connections;

/// <summary>
/// One response read from a broker: its body (after the response header) in a buffer this object owns. Control-plane
/// responses use a plain array (decoded messages may keep slices of it); Fetch responses use a pooled array whose
/// record slices stay valid until every holder has called <see cref="Release"/>.
/// </summary>
internal sealed class ResponseFrame
{
    private byte[]? _buffer;
    private readonly bool _pooled;
    private int _references = 1;

    public ResponseFrame(byte[] buffer, int bodyOffset, int length, bool pooled, ApiKey apiKey, short apiVersion)
    {
        _buffer = buffer;
        _pooled = pooled;
        Body = new ReadOnlyMemory<byte>(buffer, bodyOffset, length - bodyOffset);
        ApiKey = apiKey;
        ApiVersion = apiVersion;
    }

    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>
    /// The pool of pooled response buffers: Fetch responses of a megabyte or more, dozens of which may be held at once
    /// (one per partition with unread records). The shared pool keeps only a few arrays of each size per core, so
    /// under that load most rents would allocate; this pool keeps up to 64 per size. It retains at most what was
    /// held at the busiest moment, which <see cref="ConsumerOptions.FetchMaxBytes"/> bounds.
    /// </summary>
    public static ArrayPool<byte> Pool { get; } = ArrayPool<byte>.Create(maxArrayLength: 256 * 1024 * 1024, maxArraysPerBucket: 64);

    public ApiKey ApiKey { get; }

    public short ApiVersion { get; }

    /// <summary>Decodes the body as <typeparamref name="T"/> (<see cref="KafkaFrames.DecodeResponseBody{T}"/>); a
    /// malformed body becomes a <see cref="KafkaProtocolException"/> naming the API and version.</summary>
    public T Decode<T>() where T : class, IKafkaMessage<T> => KafkaFrames.DecodeResponseBody<T>(Body, ApiKey, ApiVersion);

    /// <summary>Another holder of the buffer (e.g. each partition of a fetch with unread records).</summary>
    public void AddReference() => Interlocked.Increment(ref _references);

    /// <summary>Drops one holder; the last returns a pooled buffer.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0) return;
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null && _pooled) Pool.Return(buffer);
    }
}
