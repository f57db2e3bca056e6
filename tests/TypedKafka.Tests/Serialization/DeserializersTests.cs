using System.Text;

namespace TypedKafka.Tests.Serialization;

public sealed class DeserializersTests
{
    private static readonly SerializationContext Context = new("orders", 3, IsKey: false, Array.Empty<Header>());

    [Fact]
    public void Null_is_distinct_from_empty()
    {
        Assert.Null(Deserializers.ByteArray.Deserialize([], isNull: true, Context));
        Assert.Equal(Array.Empty<byte>(), Deserializers.ByteArray.Deserialize([], isNull: false, Context)!);
        Assert.Null(Deserializers.Utf8.Deserialize([], isNull: true, Context));
        Assert.Equal("", Deserializers.Utf8.Deserialize([], isNull: false, Context));
    }

    [Fact]
    public void Numbers_are_big_endian_as_Kafkas_serializers_write_them()
    {
        Assert.Equal(0x01020304, Deserializers.Int32.Deserialize([1, 2, 3, 4], false, Context));
        Assert.Equal(-2L, Deserializers.Int64.Deserialize([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE], false, Context));
    }

    [Fact]
    public void Guids_read_from_bytes_and_from_text()
    {
        var guid = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
        byte[] bytes = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff];
        Assert.Equal(guid, Deserializers.Guid.Deserialize(bytes, false, Context));
        Assert.Equal(guid, Deserializers.Guid.Deserialize(Encoding.UTF8.GetBytes(guid.ToString()), false, Context));
    }

    [Fact]
    public void Wrong_sizes_and_bad_text_are_errors_that_say_where()
    {
        var error = Assert.Throws<FormatException>(() => Deserializers.Int32.Deserialize([1, 2, 3], false, Context));
        Assert.Contains("orders-3", error.Message, StringComparison.Ordinal);
        Assert.Contains("3 bytes", error.Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => Deserializers.Int64.Deserialize([], true, Context));
        Assert.Throws<DecoderFallbackException>(() => Deserializers.Utf8.Deserialize([0xC3, 0x28], false, Context));
    }

    [Fact]
    public void Ignore_reads_nothing()
    {
        Assert.Equal(default, Deserializers.Ignore.Deserialize([1, 2, 3], false, Context));
    }
}
