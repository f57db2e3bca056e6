using System.Text;

namespace TypedKafka.Protocol.Tests.Checksums;

public class ChecksumTests
{
    private static readonly byte[] CheckInput = Encoding.ASCII.GetBytes("123456789");

    [Fact]
    public void Crc32C_matches_the_standard_check_value() => Assert.Equal(0xE3069283u, Crc32C.Compute(CheckInput));

    [Fact]
    public void Crc32_matches_the_standard_check_value() => Assert.Equal(0xCBF43926u, Crc32.Compute(CheckInput));

    [Fact]
    public void Empty_input_has_checksum_zero()
    {
        Assert.Equal(0u, Crc32C.Compute([]));
        Assert.Equal(0u, Crc32.Compute([]));
    }

    [Fact]
    public void Crc32C_of_32_zero_bytes_matches_RFC_3720_vector() =>
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32])); // iSCSI (RFC 3720 B.4)

    [Theory]
    [InlineData(0x82F63B78u, true)]
    [InlineData(0xEDB88320u, false)]
    public void Every_length_and_alignment_matches_a_bitwise_reference(uint polynomial, bool castagnoli)
    {
        var random = new Random(42);
        var data = new byte[300];
        random.NextBytes(data);
        for (int start = 0; start < 9; start++)
        {
            for (int length = 0; length <= data.Length - start; length += 1 + (length / 16))
            {
                ReadOnlySpan<byte> slice = data.AsSpan(start, length);
                uint expected = BitwiseReference(slice, polynomial);
                Assert.Equal(expected, castagnoli ? Crc32C.Compute(slice) : Crc32.Compute(slice));
            }
        }
    }

    [Fact]
    public void Append_continues_a_checksum()
    {
        var data = new byte[1000];
        new Random(7).NextBytes(data);
        Assert.Equal(Crc32C.Compute(data), Crc32C.Append(Crc32C.Compute(data.AsSpan(0, 333)), data.AsSpan(333)));
        Assert.Equal(Crc32.Compute(data), Crc32.Append(Crc32.Compute(data.AsSpan(0, 333)), data.AsSpan(333)));
    }

    private static uint BitwiseReference(ReadOnlySpan<byte> data, uint polynomial)
    {
        uint crc = ~0u;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1;
        }

        return ~crc;
    }
}
