using TypedKafka.Connections;
using TypedKafka.Protocol;

namespace TypedKafka.Fetching;

/// <summary>
/// One partition's data from one Fetch response, waiting to be drained by the application. Holds a reference on the
/// response frame, so its record slices stay valid until <see cref="Dispose"/>.
/// </summary>
internal sealed class CompletedFetch : IDisposable
{
    private ResponseFrame? _frame;

    public CompletedFetch(PartitionState state, int version, ResponseFrame frame,
        ReadOnlyMemory<byte> records, IReadOnlyList<FetchResponse.AbortedTransaction>? aborted, short apiVersion)
    {
        State = state;
        Version = version;
        Records = records;
        Aborted = aborted;
        ApiVersion = apiVersion;
        frame.AddReference();
        _frame = frame;
    }

    public PartitionState State { get; }

    /// <summary>The partition's <see cref="PartitionState.Version"/> when the fetch was sent.</summary>
    public int Version { get; }

    public ReadOnlyMemory<byte> Records { get; }

    /// <summary>The aborted-transaction index (read_committed only), or null.</summary>
    public IReadOnlyList<FetchResponse.AbortedTransaction>? Aborted { get; }

    public short ApiVersion { get; }

    public int SizeInBytes => Records.Length;

    /// <summary>Where reading stopped when the application took only part of the data (null before the first read).</summary>
    public PartitionCursor? Cursor { get; set; }

    public void Dispose()
    {
        Cursor?.Dispose();
        Cursor = null;
        Interlocked.Exchange(ref _frame, null)?.Release();
    }
}
