using BenchmarkDotNet.Attributes;
using TypedKafka.Protocol;

namespace TypedKafka.Benchmarks.Protocol;

/// <summary>Checksums over 16 KiB: CRC-32C (record batches) and CRC-32 (legacy messages).</summary>
[MemoryDiagnoser]
public class ChecksumBenchmarks
{
    private readonly byte[] _data = new byte[16 * 1024];

    [GlobalSetup]
    public void Setup() => new Random(1).NextBytes(_data);

    [Benchmark(Baseline = true)]
    public uint Crc32C_16KiB() => Crc32C.Compute(_data);

    [Benchmark]
    public uint Crc32_16KiB() => Crc32.Compute(_data);
}
