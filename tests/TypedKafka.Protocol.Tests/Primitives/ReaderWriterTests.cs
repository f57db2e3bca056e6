using static TypedKafka.Protocol.Tests.Primitives.Bytes;

namespace TypedKafka.Protocol.Tests.Primitives;

public class ReaderWriterTests
{
    private delegate void WriteAction(ref KafkaWriter writer);

    private static byte[] Write(int size, WriteAction action)
    {
        var buffer = new byte[size];
        var writer = new KafkaWriter(buffer);
        action(ref writer);
        Assert.Equal(size, writer.Position);
        return buffer;
    }

    [Fact]
    public void FixedWidthIntegersAreBigEndian()
    {
        var bytes = Write(1 + 2 + 2 + 4 + 4 + 8 + 8 + 1, (ref KafkaWriter w) =>
        {
            w.WriteInt8(-2);
            w.WriteInt16(0x0102);
            w.WriteUInt16(0xFFFE);
            w.WriteInt32(-2);
            w.WriteUInt32(0x80000000);
            w.WriteInt64(0x0102030405060708);
            w.WriteFloat64(1.0);
            w.WriteBool(true);
        });
        Assert.Equal(Of(0xFE, 0x01, 0x02, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF, 0xFE, 0x80, 0, 0, 0,
            1, 2, 3, 4, 5, 6, 7, 8, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0, 1), bytes);
        var r = new KafkaReader(bytes);
        Assert.Equal(-2, r.ReadInt8());
        Assert.Equal(0x0102, r.ReadInt16());
        Assert.Equal(0xFFFE, r.ReadUInt16());
        Assert.Equal(-2, r.ReadInt32());
        Assert.Equal(0x80000000, r.ReadUInt32());
        Assert.Equal(0x0102030405060708, r.ReadInt64());
        Assert.Equal(1.0, r.ReadFloat64());
        Assert.True(r.ReadBool());
        Assert.True(r.IsAtEnd);
    }

    [Fact]
    public void StringsClassicAndCompactNullAndEmpty()
    {
        // classic "ab", classic null, classic "", compact "ab", compact null, compact "".
        byte[] expected = Of(0, 2, (byte)'a', (byte)'b', 0xFF, 0xFF, 0, 0, 3, (byte)'a', (byte)'b', 0, 1);
        var bytes = Write(expected.Length, (ref KafkaWriter w) =>
        {
            w.WriteString("ab");
            w.WriteNullableString(null);
            w.WriteString("");
            w.WriteCompactString("ab");
            w.WriteCompactNullableString(null);
            w.WriteCompactString("");
        });
        Assert.Equal(expected, bytes);
        Assert.Equal(4, KafkaWriter.SizeOfString("ab", compact: false));
        Assert.Equal(3, KafkaWriter.SizeOfString("ab", compact: true));
        Assert.Equal(2, KafkaWriter.SizeOfNullableString(null, compact: false));
        Assert.Equal(1, KafkaWriter.SizeOfNullableString(null, compact: true));

        var r = new KafkaReader(bytes);
        Assert.Equal("ab", r.ReadString());
        Assert.Null(r.ReadNullableString());
        Assert.Equal("", r.ReadString());
        Assert.Equal("ab", r.ReadCompactString());
        Assert.Null(r.ReadCompactNullableString());
        Assert.Equal("", r.ReadCompactString());
    }

    [Fact]
    public void Utf8LengthsCountBytesNotChars()
    {
        Assert.Equal(Str("é"), Of(0, 2, 0xC3, 0xA9));
        var bytes = Write(3, (ref KafkaWriter w) => w.WriteCompactString("é"));
        Assert.Equal(Of(3, 0xC3, 0xA9), bytes);
    }

    [Fact]
    public void NullWhereNotAllowedIsMalformed()
    {
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(Of(0xFF, 0xFF)).ReadString());
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(Of(0)).ReadCompactString());
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(I32(-1)).ReadBytes());
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(I32(-1)).ReadArrayLength(false, false, 1));
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(Of(0xFF, 0xFE)).ReadNullableString());
    }

    [Fact]
    public void BytesAreSlicesOfTheInputNotCopies()
    {
        byte[] input = Of(Blob([1, 2, 3]), CBlob([4, 5]), Blob(null), CBlob(null), CBlob([]));
        var memory = new ReadOnlyMemory<byte>(input);
        var r = new KafkaReader(memory);
        var first = r.ReadBytes();
        Assert.True(first.Span.SequenceEqual(new byte[] { 1, 2, 3 }));
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(first, out var segment));
        Assert.Same(input, segment.Array);
        Assert.Equal(4, segment.Offset);
        Assert.True(r.ReadCompactBytes().Span.SequenceEqual(new byte[] { 4, 5 }));
        Assert.Null(r.ReadNullableBytes());
        Assert.Null(r.ReadCompactNullableBytes());
        var empty = r.ReadCompactNullableBytes();
        Assert.NotNull(empty);
        Assert.True(empty.Value.IsEmpty);
    }

    [Fact]
    public void ArrayLengthsClassicAndCompact()
    {
        var r = new KafkaReader(Of(Arr(2), 1, 2, 3, 4, 5, 6, 7, 8));
        Assert.Equal(2, r.ReadArrayLength(false, false, 4));
        r = new KafkaReader(Of(CArr(-1), CArr(0), Arr(-1)));
        Assert.Equal(-1, r.ReadCompactNullableArrayLength(4));
        Assert.Equal(0, r.ReadCompactArrayLength(4));
        Assert.Equal(-1, r.ReadNullableArrayLength(4));
        var bytes = Write(4 + 1 + 1, (ref KafkaWriter w) =>
        {
            w.WriteArrayLength(-1, compact: false);
            w.WriteArrayLength(-1, compact: true);
            w.WriteArrayLength(0, compact: true);
        });
        Assert.Equal(Of(Arr(-1), 0, 1), bytes);
    }

    [Fact]
    public void HostileLengthsAreRejectedBeforeAllocating()
    {
        // An array claiming a billion 8-byte elements in a 12-byte message.
        var e = Assert.Throws<KafkaProtocolException>(() => new KafkaReader(Of(Arr(1_000_000_000), new byte[8])).ReadArrayLength(false, false, 8));
        Assert.Equal(0, e.Position);
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(Of(Arr(2), new byte[7])).ReadArrayLength(false, false, 4));
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(Of(UVar(uint.MaxValue))).ReadCompactArrayLength(1));
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(Of(I32(int.MaxValue))).ReadBytes());
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(Of(UVar(1000), 1, 2)).ReadCompactString());
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(Of(UVar(1000))).ReadTaggedFieldCount());
    }

    [Fact]
    public void TruncationReportsContextAndPosition()
    {
        var reader = new KafkaReader(new byte[] { 0, 0, 0 }, apiKey: 1, apiVersion: 12);
        reader.ReadInt16();
        KafkaProtocolException? caught = null;
        try
        {
            reader.ReadInt32();
        }
        catch (KafkaProtocolException e)
        {
            caught = e;
        }
        Assert.NotNull(caught);
        Assert.Equal(1, caught.ApiKey);
        Assert.Equal(12, caught.ApiVersion);
        Assert.Equal(2, caught.Position);
        Assert.Contains("API key 1 v12, byte 2", caught.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UuidIsTwoBigEndianLongs()
    {
        var uuid = new KafkaUuid(0x0123456789ABCDEF, unchecked((long)0xFEDCBA9876543210));
        var bytes = Write(16, (ref KafkaWriter w) => w.WriteUuid(uuid));
        Assert.Equal(Of(0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10), bytes);
        Assert.Equal(uuid, new KafkaReader(bytes).ReadUuid());
        // Guid mapping: wire bytes in order = RFC 4122 text.
        Assert.Equal(Guid.Parse("01234567-89ab-cdef-fedc-ba9876543210"), uuid.ToGuid());
        Assert.Equal(uuid, KafkaUuid.FromGuid(uuid.ToGuid()));
        // Kafka prints ids as URL-safe base64 without padding.
        Assert.Equal(22, uuid.ToString().Length);
        Assert.Equal(uuid, KafkaUuid.Parse(uuid.ToString()));
        Assert.Equal("AAAAAAAAAAAAAAAAAAAAAA", KafkaUuid.Zero.ToString());
        Assert.Equal("AAAAAAAAAAAAAAAAAAAAAQ", KafkaUuid.MetadataTopicId.ToString());
        Assert.False(KafkaUuid.TryParse("not-a-uuid", out _));
    }

    [Fact]
    public void TaggedFieldsRoundTripAsRawBytes()
    {
        var fields = new List<TaggedField> { new(1, new byte[] { 0xAA }), new(300, new byte[] { 1, 2 }) };
        byte[] expected = Of(2, 1, 1, 0xAA, UVar(300), 2, 1, 2);
        Assert.Equal(expected.Length, KafkaWriter.SizeOfTaggedFieldSection(fields));
        var bytes = Write(expected.Length, (ref KafkaWriter w) => w.WriteUnknownTaggedFields(fields));
        Assert.Equal(expected, bytes);
        var r = new KafkaReader(bytes);
        var read = r.ReadUnknownTaggedFields();
        Assert.NotNull(read);
        Assert.Equal([1, 300], read.Select(f => f.Tag));
        Assert.True(read[1].Data.Span.SequenceEqual(new byte[] { 1, 2 }));
        // A tagged field whose announced size runs past the end.
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(Of(1, 0, 50, 1)).ReadUnknownTaggedFields());
    }

    [Fact]
    public void ClassicStringLongerThanInt16IsRefused()
    {
        var buffer = new byte[40000];
        Assert.Throws<ArgumentException>(() =>
        {
            var w = new KafkaWriter(buffer);
            w.WriteString(new string('x', 33000));
        });
    }
}
