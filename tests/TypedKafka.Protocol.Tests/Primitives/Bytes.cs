using System.Text;

namespace TypedKafka.Protocol.Tests.Primitives;

/// <summary>
/// Hand-assembles wire bytes for test vectors, independently of <see cref="KafkaWriter"/>: each helper
/// spells out the encoding the protocol guide gives.
/// </summary>
public static class Bytes
{
    public static byte[] Of(params object[] parts)
    {
        var list = new List<byte>();
        foreach (var part in parts)
        {
            switch (part)
            {
                case byte[] b: list.AddRange(b); break;
                case byte b: list.Add(b); break;
                case int i when i is >= 0 and <= 255: list.Add((byte)i); break;
                default: throw new ArgumentException($"Unsupported part {part}");
            }
        }
        return list.ToArray();
    }

    public static byte[] I8(sbyte v) => [(byte)v];
    public static byte[] Bool(bool v) => [v ? (byte)1 : (byte)0];
    public static byte[] I16(short v) => [(byte)(v >> 8), (byte)v];
    public static byte[] I32(int v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];
    public static byte[] I64(long v) => [.. I32((int)(v >> 32)), .. I32((int)v)];

    /// <summary>Unsigned varint, 7 bits per byte, low group first.</summary>
    public static byte[] UVar(uint v)
    {
        var list = new List<byte>();
        while (v >= 0x80)
        {
            list.Add((byte)(v | 0x80));
            v >>= 7;
        }
        list.Add((byte)v);
        return list.ToArray();
    }

    /// <summary>Classic STRING / NULLABLE_STRING: int16 length (-1 = null).</summary>
    public static byte[] Str(string? s) => s is null ? I16(-1) : [.. I16((short)Encoding.UTF8.GetByteCount(s)), .. Encoding.UTF8.GetBytes(s)];

    /// <summary>COMPACT_(NULLABLE_)STRING: uvarint length+1 (0 = null).</summary>
    public static byte[] CStr(string? s) => s is null ? [0] : [.. UVar((uint)Encoding.UTF8.GetByteCount(s) + 1), .. Encoding.UTF8.GetBytes(s)];

    /// <summary>Classic BYTES: int32 length (-1 = null).</summary>
    public static byte[] Blob(byte[]? b) => b is null ? I32(-1) : [.. I32(b.Length), .. b];

    public static byte[] CBlob(byte[]? b) => b is null ? [0] : [.. UVar((uint)b.Length + 1), .. b];

    public static byte[] Arr(int count) => I32(count);

    public static byte[] CArr(int count) => UVar((uint)(count + 1));

    /// <summary>An empty tagged-field section.</summary>
    public static byte[] NoTags => [0];

    public static byte[] Uuid(long msb, long lsb) => [.. I64(msb), .. I64(lsb)];
}
