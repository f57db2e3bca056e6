using BenchmarkDotNet.Attributes;
using TypedKafka.Protocol;

namespace TypedKafka.Benchmarks.Protocol;

/// <summary>
/// Zig-zag varint decoding as in records: mostly one-byte values (lengths, deltas) with some
/// multi-byte ones. Measures the record decoder's local helpers (RecordVarint).
/// TODO(lead): add the public TypedKafka.Protocol.Varint alongside once it lands.
/// </summary>
[MemoryDiagnoser]
public class VarintBenchmarks
{
    private const int Count = 1000;
    private readonly byte[] _oneByte = new byte[Count * 10];
    private readonly byte[] _mixed = new byte[Count * 10];
    private int _oneByteLength;
    private int _mixedLength;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        for (int i = 0; i < Count; i++)
        {
            _oneByteLength += RecordVarint.Write(_oneByte.AsSpan(_oneByteLength), random.Next(-64, 64));
            long value = (i % 4) switch { 0 => random.Next(-64, 64), 1 => random.Next(-8192, 8192), 2 => random.Next(), _ => random.NextInt64() };
            _mixedLength += RecordVarint.Write(_mixed.AsSpan(_mixedLength), value);
        }
    }

    [Benchmark(OperationsPerInvoke = Count)]
    public long ReadInt32_OneByte() => ReadAllInt32(_oneByte.AsSpan(0, _oneByteLength));

    [Benchmark(OperationsPerInvoke = Count)]
    public long ReadInt64_Mixed() => ReadAllInt64(_mixed.AsSpan(0, _mixedLength));

    private static long ReadAllInt32(ReadOnlySpan<byte> data)
    {
        long sum = 0;
        int pos = 0;
        while (RecordVarint.TryReadInt32(data, ref pos, out int value)) sum += value;
        return sum;
    }

    private static long ReadAllInt64(ReadOnlySpan<byte> data)
    {
        long sum = 0;
        int pos = 0;
        while (RecordVarint.TryReadInt64(data, ref pos, out long value)) sum += value;
        return sum;
    }
}
