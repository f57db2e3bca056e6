namespace TypedKafka.Protocol.Tests.Primitives;

public class VarintTests
{
    public static TheoryData<uint, byte[]> UnsignedVectors => new()
    {
        { 0u, [0x00] },
        { 1u, [0x01] },
        { 127u, [0x7F] },
        { 128u, [0x80, 0x01] },
        { 300u, [0xAC, 0x02] },
        { 16383u, [0xFF, 0x7F] },
        { 16384u, [0x80, 0x80, 0x01] },
        { int.MaxValue, [0xFF, 0xFF, 0xFF, 0xFF, 0x07] },
        { uint.MaxValue, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F] },
    };

    [Theory]
    [MemberData(nameof(UnsignedVectors))]
    public void UnsignedVarintIsByteExact(uint value, byte[] expected)
    {
        var buffer = new byte[5];
        int written = Varint.WriteUnsignedVarint(buffer, value);
        Assert.Equal(expected, buffer[..written]);
        Assert.Equal(expected.Length, Varint.SizeOfUnsignedVarint(value));
        Assert.Equal(expected.Length, Varint.ReadUnsignedVarint(expected, out uint read));
        Assert.Equal(value, read);
        Assert.True(Varint.TryReadUnsignedVarint(expected, out read, out int consumed));
        Assert.Equal((value, expected.Length), (read, consumed));
    }

    public static TheoryData<int, byte[]> ZigZagVectors => new()
    {
        { 0, [0x00] },
        { -1, [0x01] },
        { 1, [0x02] },
        { -2, [0x03] },
        { 63, [0x7E] },
        { -64, [0x7F] },
        { 64, [0x80, 0x01] },
        { int.MaxValue, [0xFE, 0xFF, 0xFF, 0xFF, 0x0F] },
        { int.MinValue, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F] },
    };

    [Theory]
    [MemberData(nameof(ZigZagVectors))]
    public void ZigZagVarintIsByteExact(int value, byte[] expected)
    {
        var buffer = new byte[5];
        int written = Varint.WriteVarint(buffer, value);
        Assert.Equal(expected, buffer[..written]);
        Assert.Equal(expected.Length, Varint.SizeOfVarint(value));
        Assert.Equal(expected.Length, Varint.ReadVarint(expected, out int read));
        Assert.Equal(value, read);
    }

    public static TheoryData<long, byte[]> ZigZagLongVectors => new()
    {
        { 0L, [0x00] },
        { -1L, [0x01] },
        { 1L, [0x02] },
        { int.MaxValue + 1L, [0x80, 0x80, 0x80, 0x80, 0x10] },
        { long.MaxValue, [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01] },
        { long.MinValue, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01] },
    };

    [Theory]
    [MemberData(nameof(ZigZagLongVectors))]
    public void ZigZagVarlongIsByteExact(long value, byte[] expected)
    {
        var buffer = new byte[10];
        int written = Varint.WriteVarlong(buffer, value);
        Assert.Equal(expected, buffer[..written]);
        Assert.Equal(expected.Length, Varint.SizeOfVarlong(value));
        Assert.Equal(expected.Length, Varint.ReadVarlong(expected, out long read));
        Assert.Equal(value, read);
        Assert.True(Varint.TryReadVarlong(expected, out read, out int consumed));
        Assert.Equal((value, expected.Length), (read, consumed));
    }

    [Fact]
    public void OverLongEncodingsAreRejected()
    {
        byte[] six = [0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
        Assert.False(Varint.TryReadUnsignedVarint(six, out _, out _));
        Assert.Throws<KafkaProtocolException>(() => Varint.ReadUnsignedVarint(six, out _));
        Assert.Throws<KafkaProtocolException>(() => Varint.ReadVarint(six, out _));
        byte[] eleven = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
        Assert.False(Varint.TryReadVarlong(eleven, out _, out _));
        Assert.Throws<KafkaProtocolException>(() => Varint.ReadVarlong(eleven, out _));
    }

    [Fact]
    public void TruncatedEncodingsAreRejected()
    {
        Assert.False(Varint.TryReadUnsignedVarint([], out _, out _));
        Assert.False(Varint.TryReadUnsignedVarint([0x80, 0x80], out _, out _));
        var e = Assert.Throws<KafkaProtocolException>(() => Varint.ReadUnsignedVarint([0xFF], out _));
        Assert.True(e.Position >= 0);
        Assert.False(Varint.TryReadVarlong([0xFF, 0xFF], out _, out _));
    }

    [Fact]
    public void WritingIntoTooSmallASpanThrows()
    {
        Assert.Throws<ArgumentException>(() => Varint.WriteUnsignedVarint(new byte[1], 300));
    }
}
