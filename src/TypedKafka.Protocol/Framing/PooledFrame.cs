using System.Buffers;

namespace TypedKafka.Protocol;

/// <summary>An encoded frame in a buffer rented from <see cref="ArrayPool{T}.Shared"/>; dispose once it is sent.</summary>
public sealed class PooledFrame : IDisposable
{
    private byte[]? _buffer;
    private readonly int _length;

    internal PooledFrame(byte[] buffer, int length)
    {
        _buffer = buffer;
        _length = length;
    }

    /// <summary>The frame bytes, size prefix included.</summary>
    public ReadOnlyMemory<byte> Memory => new(_buffer ?? throw new ObjectDisposedException(nameof(PooledFrame)), 0, _length);

    public int Length => _length;

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
    }
}
