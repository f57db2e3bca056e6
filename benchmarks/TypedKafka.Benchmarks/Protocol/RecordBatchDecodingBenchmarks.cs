using System.Text;
using BenchmarkDotNet.Attributes;
using TypedKafka.Protocol;

namespace TypedKafka.Benchmarks.Protocol;

/// <summary>
/// Decoding one 1,000-record batch of 8-byte keys and 100-byte JSON values (the shape of
/// docs/performance.md's end-to-end data); results are per record.
/// </summary>
[MemoryDiagnoser]
public class RecordBatchDecodingBenchmarks
{
    private const int RecordCount = 1000;
    private byte[] _batch = [];
    private RecordSetReader _reader = null!;

    [Params(CompressionCodec.None, CompressionCodec.Lz4)]
    public CompressionCodec Codec { get; set; }

    [Params(false, true)]
    public bool CheckCrcs { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        var builder = new RecordBatchBuilder { Compression = Codec };
        for (int i = 0; i < RecordCount; i++)
        {
            string json = $"{{\"id\":{i:D6},\"sku\":\"ABC-{random.Next(99999):D5}\",\"qty\":{random.Next(100):D2},\"price\":{random.Next(100000):D6},\"note\":\"x\"}}";
            byte[] value = Encoding.UTF8.GetBytes(json.PadRight(100, ' ').Substring(0, 100));
            builder.Append(1_700_000_000_000 + i, BitConverter.GetBytes((long)i), value);
        }

        _batch = builder.ToArray();
        _reader = new RecordSetReader(_batch);
    }

    [GlobalCleanup]
    public void Cleanup() => _reader.Dispose();

    [Benchmark(OperationsPerInvoke = RecordCount)]
    public long ReadRecords()
    {
        _reader.Reset(_batch, CheckCrcs ? Options.Checked : Options.Unchecked);
        long sum = 0;
        while (_reader.TryReadNextBatch(out _))
        {
            foreach (Record record in _reader.ReadRecords())
            {
                sum += record.Offset + record.Key.Length + record.Value.Length;
            }
        }

        return sum;
    }

    private static class Options
    {
        public static readonly RecordReadOptions Checked = new() { CheckCrcs = true };
        public static readonly RecordReadOptions Unchecked = new() { CheckCrcs = false };
    }
}
