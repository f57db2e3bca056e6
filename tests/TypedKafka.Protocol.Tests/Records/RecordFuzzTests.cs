using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using static TypedKafka.Protocol.Tests.Records.RecordTestHelpers;

namespace TypedKafka.Protocol.Tests.Records;

/// <summary>
/// Seeded, bounded fuzzing of the whole decode path: valid blobs of every magic and codec, then
/// truncated, bit-flipped, overwritten and length-corrupted copies. Only KafkaProtocolException may
/// escape, and no read may allocate much more than its input plus the decompression limit.
/// </summary>
public class RecordFuzzTests
{
    private const int Limit = 1024 * 1024;
    private const int Iterations = 30_000;

    [Fact]
    public void Corrupt_record_data_only_ever_raises_KafkaProtocolException()
    {
        var random = new Random(20240611);
        List<byte[]> corpus = Corpus(random);
        var options = new[]
        {
            new RecordReadOptions { CheckCrcs = false, MaxDecompressedBytes = Limit },
            new RecordReadOptions { CheckCrcs = true, MaxDecompressedBytes = Limit },
        };
        using var reader = new RecordSetReader(ReadOnlyMemory<byte>.Empty);
        foreach (byte[] seed in corpus.Take(corpus.Count - 4)) Read(reader, seed, options[0]); // valid inputs read cleanly, and warm up

        var stopwatch = Stopwatch.StartNew();
        int protocolErrors = 0;
        for (int i = 0; i < Iterations; i++)
        {
            byte[] input = Mutate(corpus[random.Next(corpus.Count)], random);
            RecordReadOptions option = options[i & 1];
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                Read(reader, input, option);
            }
            catch (KafkaProtocolException ex)
            {
                protocolErrors++;
                Assert.True(ex.Position >= -1 && ex.Position <= input.Length, $"position {ex.Position} outside input of {input.Length}");
            }
            catch (Exception ex)
            {
                Assert.Fail($"iteration {i}: {ex.GetType().Name} escaped for input {Convert.ToHexString(input)}\n{ex}");
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            long allowed = (16L * input.Length) + (4L * Limit) + (64 * 1024);
            Assert.True(allocated <= allowed, $"iteration {i}: {allocated} bytes allocated for {input.Length} bytes of input");
        }

        Assert.InRange(protocolErrors, Iterations / 10, Iterations);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(60), $"took {stopwatch.Elapsed}");
    }

    private static void Read(RecordSetReader reader, byte[] input, RecordReadOptions options)
    {
        reader.Reset(input, options);
        while (reader.TryReadNextBatch(out _))
        {
            foreach (Record record in reader.ReadRecords())
            {
                foreach (RecordHeader header in record.Headers) _ = header.Value.Length;
            }
        }
    }

    private static List<byte[]> Corpus(Random random)
    {
        var corpus = new List<byte[]>();
        foreach (CompressionCodec codec in Enum.GetValues<CompressionCodec>())
        {
            var output = new ArrayBufferWriter<byte>();
            for (int b = 0; b < 2; b++)
            {
                var builder = new RecordBatchBuilder { BaseOffset = b * 10, Compression = codec, IsTransactional = b == 1, ProducerId = 3 };
                for (int r = 0; r < 1 + random.Next(6); r++)
                {
                    builder.Append(1000 + r, r % 3 == 0 ? null : Utf8($"k{r}"), Compression.CompressionTests.SampleData(random.Next(0, 300), r),
                        new RecordHeaderData("h", r % 2 == 0 ? null : Utf8("x")));
                }

                builder.WriteTo(output);
            }

            RecordBatchBuilder.WriteEndTransactionMarker(output, 20, 3, 0, ControlRecordType.Commit, 1, 1);
            corpus.Add(output.WrittenSpan.ToArray());

            if (codec == CompressionCodec.Zstd) continue; // not valid below magic 2
            for (byte magic = 0; magic <= 1; magic++)
            {
                LegacyMessageData[] messages = Enumerable.Range(0, 1 + random.Next(4))
                    .Select(i => new LegacyMessageData(100 + i, 5000 + i, i % 2 == 0 ? null : Utf8("key"), Compression.CompressionTests.SampleData(random.Next(0, 200), i)))
                    .ToArray();
                corpus.Add(Legacy(o =>
                {
                    if (codec == CompressionCodec.None)
                    {
                        foreach (LegacyMessageData m in messages) LegacyMessageSetWriter.WriteMessage(o, magic, m);
                    }
                    else
                    {
                        LegacyMessageSetWriter.WriteCompressed(o, magic, codec, messages, 5000, kafka3160Lz4: magic == 0);
                    }
                }));
            }
        }

        // Compression bombs: 2 MiB of zeros, past the 1 MiB limit once decompressed.
        foreach (CompressionCodec codec in new[] { CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4, CompressionCodec.Zstd })
        {
            corpus.Add(Batch(b => b.Append(1, null, new byte[2 * Limit]), new RecordBatchBuilder { Compression = codec }));
        }

        return corpus;
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        byte[] data = (byte[])seed.Clone();
        switch (random.Next(6))
        {
            case 0: // truncation
                return data.AsSpan(0, random.Next(data.Length + 1)).ToArray();
            case 1: // bit flips
                for (int i = random.Next(1, 9); i > 0; i--) data[random.Next(data.Length)] ^= (byte)(1 << random.Next(8));
                return data;
            case 2: // overwritten bytes
                for (int i = random.Next(1, 5); i > 0; i--) data[random.Next(data.Length)] = (byte)random.Next(256);
                return data;
            case 3: // a corrupt length or count somewhere
                if (data.Length >= 4)
                {
                    int[] values = [-1, 0, 1, int.MaxValue, int.MinValue, 0x7F, 0x80, data.Length, random.Next()];
                    BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(random.Next(data.Length - 3)), values[random.Next(values.Length)]);
                }

                return data;
            case 4: // bit flips inside the compressed payload only, leaving the framing intact
                for (int i = random.Next(1, 4); i > 0; i--)
                {
                    int at = Math.Min(data.Length - 1, 61 + random.Next(Math.Max(1, data.Length - 61)));
                    data[at] ^= (byte)(1 << random.Next(8));
                }

                return data;
            default: // random bytes behind a plausible header
                byte[] noise = new byte[random.Next(0, 200)];
                random.NextBytes(noise);
                return [.. data.AsSpan(0, Math.Min(data.Length, 17 + random.Next(50))), .. noise];
        }
    }
}
