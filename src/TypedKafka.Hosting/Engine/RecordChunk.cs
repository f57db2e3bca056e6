using System.Buffers;
using System.Runtime.CompilerServices;
using TypedKafka.Protocol;

namespace TypedKafka.Hosting.Engine;

/// <summary>One fetched record copied out of the consumer's buffer: where its key and value lie in the chunk's bytes.</summary>
internal struct RecordSlot
{
    public long Offset;
    public long Timestamp;
    public long Ticket;
    public int KeyStart;
    public int KeyLength;     // -1: null key
    public int ValueStart;
    public int ValueLength;   // -1: null value
    public IReadOnlyList<Header> Headers;
}

/// <summary>A record in a chunk, as lanes queue it.</summary>
internal readonly record struct RecordRef(RecordChunk Chunk, int Index)
{
    public ref RecordSlot Slot => ref Chunk.Slots[Index];
}

/// <summary>
/// Records of one partition copied from one <see cref="ConsumerBatch"/> (whose spans die at the next poll) into
/// engine-owned pooled arrays. Written by the poll loop only, then read-only; each processor releases each record once
/// when it is done with it (handled, skipped, or dropped at revocation), and the last release returns the arrays and
/// the chunk to their pools.
/// </summary>
internal sealed class RecordChunk
{
    private const int InitialBytes = 16 * 1024;
    private const int InitialSlots = 64;
    /// <summary>A chunk grows (by renting a larger array) up to this, then the next records start another chunk.</summary>
    private const int MaxBytes = 1024 * 1024;
    private const int MaxSlots = 4096;

    private static readonly ChunkPool Pool = new();

    private static long _bytesHeld;

    private int _references;

    /// <summary>Bytes of the arrays held by chunks in use, over the process (benchmarks report its peak).</summary>
    public static long BytesHeld => Interlocked.Read(ref _bytesHeld);

    public byte[] Data = [];
    public int Used;
    public RecordSlot[] Slots = [];
    public int Count;
    public PartitionRun Run = null!;

    /// <summary>A chunk sized for about <paramref name="expected"/> records (it grows when more come): a chunk lives until
    /// its last record completes, so small budgets must not pin large arrays.</summary>
    public static RecordChunk Rent(PartitionRun run, int expected)
    {
        var chunk = Pool.Rent();
        chunk.Run = run;
        chunk.Data = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(expected * 128L, 256, InitialBytes));
        chunk.Slots = ArrayPool<RecordSlot>.Shared.Rent(Math.Clamp(expected, 4, InitialSlots));
        Interlocked.Add(ref _bytesHeld, chunk.HeldBytes);
        return chunk;
    }

    public ReadOnlySpan<byte> Key(in RecordSlot slot) => slot.KeyLength <= 0 ? default : Data.AsSpan(slot.KeyStart, slot.KeyLength);

    public ReadOnlyMemory<byte> KeyMemory(in RecordSlot slot) => slot.KeyLength <= 0 ? default : Data.AsMemory(slot.KeyStart, slot.KeyLength);

    public ReadOnlySpan<byte> Value(in RecordSlot slot) => slot.ValueLength <= 0 ? default : Data.AsSpan(slot.ValueStart, slot.ValueLength);

    /// <summary>Copies a record in; false when the chunk is full (start another one).</summary>
    public bool TryAppend(in Record record)
    {
        var keyLength = record.IsKeyNull ? 0 : record.Key.Length;
        var valueLength = record.IsValueNull ? 0 : record.Value.Length;
        var bytes = keyLength + valueLength;
        if (Count == Slots.Length)
        {
            if (Count >= MaxSlots) return false;
            var slots = ArrayPool<RecordSlot>.Shared.Rent(Count * 2);
            Slots.AsSpan(0, Count).CopyTo(slots);
            ReturnSlots(Slots, Count);
            Interlocked.Add(ref _bytesHeld, (slots.Length - Slots.Length) * (long)SlotBytes);
            Slots = slots;
        }
        if (Used + bytes > Data.Length)
        {
            if (Count > 0 && Used + bytes > MaxBytes) return false;
            var data = ArrayPool<byte>.Shared.Rent(Math.Max(Data.Length * 2, Used + bytes));
            Data.AsSpan(0, Used).CopyTo(data);
            ArrayPool<byte>.Shared.Return(Data);
            Interlocked.Add(ref _bytesHeld, data.Length - Data.Length);
            Data = data;
        }
        ref var slot = ref Slots[Count++];
        slot.Offset = record.Offset;
        slot.Timestamp = record.Timestamp;
        slot.Headers = record.Headers.Count == 0 ? Array.Empty<Header>() : ConsumerBatch.CopyHeaders(record);
        slot.KeyStart = Used;
        slot.KeyLength = record.IsKeyNull ? -1 : keyLength;
        record.Key.CopyTo(Data.AsSpan(Used));
        Used += keyLength;
        slot.ValueStart = Used;
        slot.ValueLength = record.IsValueNull ? -1 : valueLength;
        record.Value.CopyTo(Data.AsSpan(Used));
        Used += valueLength;
        return true;
    }

    private static readonly int SlotBytes = Unsafe.SizeOf<RecordSlot>();

    private long HeldBytes => Data.Length + Slots.Length * (long)SlotBytes;

    /// <summary>Sets how many releases free the chunk: records × processors.</summary>
    public void Seal(int processors) => Volatile.Write(ref _references, Count * processors);

    /// <summary>Releases <paramref name="records"/> records of one processor.</summary>
    public void Release(int records = 1)
    {
        var left = Interlocked.Add(ref _references, -records);
        if (left > 0) return;
        if (left < 0) throw new InvalidOperationException($"A record chunk of {Run.Partition} was released {-left} time(s) too often.");
        Interlocked.Add(ref _bytesHeld, -HeldBytes);
        ArrayPool<byte>.Shared.Return(Data);
        ReturnSlots(Slots, Count);
        Data = [];
        Slots = [];
        Used = 0;
        Count = 0;
        Run = null!;
        Pool.Return(this);
    }

    /// <summary>A chunk that got no records (the batch was empty or ended at a full chunk).</summary>
    public void Discard()
    {
        Volatile.Write(ref _references, 1);
        Release();
    }

    private static void ReturnSlots(RecordSlot[] slots, int count)
    {
        // Slots hold header lists: clear them so the pool keeps no records alive.
        if (RuntimeHelpers.IsReferenceOrContainsReferences<RecordSlot>()) slots.AsSpan(0, count).Clear();
        ArrayPool<RecordSlot>.Shared.Return(slots);
    }

    /// <summary>Keeps up to 1,024 idle chunk objects (their arrays go back to <see cref="ArrayPool{T}.Shared"/>).</summary>
    private sealed class ChunkPool
    {
        private readonly Stack<RecordChunk> _idle = new();

        public RecordChunk Rent()
        {
            lock (_idle)
            {
                if (_idle.TryPop(out var chunk)) return chunk;
            }
            return new RecordChunk();
        }

        public void Return(RecordChunk chunk)
        {
            lock (_idle)
            {
                if (_idle.Count < 1024) _idle.Push(chunk);
            }
        }
    }
}
