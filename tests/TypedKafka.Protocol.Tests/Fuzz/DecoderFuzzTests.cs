using TypedKafka.Protocol.Tests.Messages;
using Xunit.Abstractions;

namespace TypedKafka.Protocol.Tests.Fuzz;

/// <summary>
/// Feeds truncated, bit-flipped and random inputs to every decoder at every version. Only
/// <see cref="KafkaProtocolException"/> (naming the API, version and a position) may come out, and no
/// decode may allocate more than a constant plus a small multiple of its input.
/// </summary>
public class DecoderFuzzTests(ITestOutputHelper output)
{
    // Worst case is an array of tiny structs: ~one object (+ list slot) per few input bytes.
    private const long AllocationConstant = 8 * 1024;
    private const long AllocationPerInputByte = 48;
    private const int IterationsPerMessage = 3000;

    [Theory]
    [MemberData(nameof(MessageCatalog.Messages), MemberType = typeof(MessageCatalog))]
    public void OnlyProtocolExceptionsAndBoundedAllocation(string name)
    {
        var (spec, type) = MessageCatalog.Get(name);
        var decode = MessageCatalog.Decoder(type);
        short apiKey = spec.ApiKey ?? -1;
        // A stable seed (string.GetHashCode changes every run), so that a failing input comes back on the next run.
        var random = new Random(StableSeed(name) ^ 0x5eed);
        var factory = new MessageFactory(random);
        int versions = spec.ValidVersions.High - spec.ValidVersions.Low + 1;
        var valid = new byte[versions][];
        for (int v = 0; v < versions; v++)
        {
            short version = (short)(spec.ValidVersions.Low + v);
            valid[v] = MessageCatalog.Encode((IKafkaMessage)factory.Create(spec, type, version), version);
        }

        decode(valid[^1], spec.ValidVersions.High); // warm up: JIT and static initializers allocate once
        int failures = 0;
        long worstRatio = 0;
        for (int i = 0; i < IterationsPerMessage; i++)
        {
            int v = random.Next(versions);
            short version = (short)(spec.ValidVersions.Low + v);
            byte[] input = Mutate(random, valid[v], i % 4);
            long allocated = DecodeCountingAllocations(decode, input, version, apiKey, name, ref failures);
            if (allocated > AllocationConstant + AllocationPerInputByte * input.Length)
            {
                // The first throw down a new path also pays one-time runtime costs on this thread (stack trace
                // metadata, message formatting caches: up to several KB). Those are not the decoder's; what the same
                // input allocates again is.
                int ignored = 0;
                allocated = DecodeCountingAllocations(decode, input, version, apiKey, name, ref ignored);
            }
            worstRatio = Math.Max(worstRatio, (allocated - AllocationConstant) / Math.Max(1, input.Length));
            Assert.True(allocated <= AllocationConstant + AllocationPerInputByte * input.Length,
                $"{name} v{version} allocated {allocated} bytes for {input.Length} input bytes: {Convert.ToHexString(input)}");
        }
        output.WriteLine($"{name}: {failures}/{IterationsPerMessage} rejected, worst allocation beyond the constant {worstRatio} B/input byte");
    }

    private static long DecodeCountingAllocations(Func<ReadOnlyMemory<byte>, short, object> decode, byte[] input, short version, short apiKey, string name, ref int failures)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            decode(input, version);
        }
        catch (KafkaProtocolException e)
        {
            failures++;
            Assert.Equal(apiKey, e.ApiKey);
            Assert.Equal(version, e.ApiVersion);
            Assert.InRange(e.Position, 0, input.Length);
        }
        catch (Exception e)
        {
            Assert.Fail($"{name} v{version} threw {e.GetType().Name} for input {Convert.ToHexString(input)}: {e}");
        }
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>FNV-1a over the name's characters: the same seed in every process.</summary>
    private static int StableSeed(string name)
    {
        uint hash = 2166136261;
        foreach (char c in name) hash = (hash ^ c) * 16777619;
        return (int)hash;
    }

    private static byte[] Mutate(Random random, byte[] valid, int mode)
    {
        switch (mode)
        {
            case 0: // truncated
                return valid[..random.Next(valid.Length + 1)];
            case 1: // bit flips
            {
                var copy = (byte[])valid.Clone();
                int flips = 1 + random.Next(4);
                for (int f = 0; f < flips && copy.Length > 0; f++) copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
                return copy;
            }
            case 2: // a hostile length: overwrite 4 bytes with a huge or negative int
            {
                var copy = (byte[])valid.Clone();
                if (copy.Length >= 4)
                {
                    int at = random.Next(copy.Length - 3);
                    int value = random.Next(3) switch { 0 => int.MaxValue, 1 => -2, _ => random.Next() };
                    copy[at] = (byte)(value >> 24);
                    copy[at + 1] = (byte)(value >> 16);
                    copy[at + 2] = (byte)(value >> 8);
                    copy[at + 3] = (byte)value;
                }
                return copy;
            }
            default: // random bytes, sometimes of the flag byte 0xFF (varint continuation)
            {
                var bytes = new byte[random.Next(64)];
                if (random.Next(2) == 0) random.NextBytes(bytes);
                else Array.Fill(bytes, (byte)0xFF);
                return bytes;
            }
        }
    }

    [Fact]
    public void ResponseFramesWithGarbageHeadersFailCleanly()
    {
        var random = new Random(7);
        for (int i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(40)];
            random.NextBytes(bytes);
            try
            {
                KafkaFrames.DecodeResponse<FetchResponse>(bytes, (short)random.Next(0, 18), out _);
                ApiVersionsFallback.DecodeFrame(bytes, 3, out _, out _);
            }
            catch (KafkaProtocolException e)
            {
                Assert.True(e.ApiKey is 1 or 18);
            }
        }
    }
}
