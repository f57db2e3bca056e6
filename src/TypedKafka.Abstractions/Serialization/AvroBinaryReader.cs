using System.Buffers.Binary;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Text;

namespace TypedKafka;

/// <summary>A reader of Avro's binary encoding over one span, used by the decoders generated from <c>.avsc</c> files.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public ref struct AvroBinaryReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public AvroBinaryReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly bool IsAtEnd => _position == _data.Length;

    public long ReadLong()
    {
        ulong raw = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _data.Length)
                ThrowEnd();
            byte b = _data[_position++];
            if (shift == 63 && b > 1)
                Throw("Avro long varint is longer than 64 bits.");
            raw |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return (long)(raw >> 1) ^ -(long)(raw & 1);
        }

        Throw("Avro long varint is longer than 10 bytes.");
        return 0;
    }

    public int ReadInt()
    {
        long value = ReadLong();
        if (value < int.MinValue || value > int.MaxValue)
            Throw("Avro int out of range.");
        return (int)value;
    }

    public bool ReadBoolean()
    {
        byte b = ReadByte();
        if (b > 1)
            Throw("Avro boolean is neither 0 nor 1.");
        return b == 1;
    }

    public float ReadFloat() => BinaryPrimitives.ReadSingleLittleEndian(ReadFixedSpan(4));

    public double ReadDouble() => BinaryPrimitives.ReadDoubleLittleEndian(ReadFixedSpan(8));

    public ReadOnlySpan<byte> ReadBytesSpan()
    {
        long length = ReadLong();
        if (length < 0 || length > _data.Length - _position)
            Throw("Avro bytes/string length is negative or past the end.");
        return ReadFixedSpan((int)length);
    }

    public byte[] ReadBytes() => ReadBytesSpan().ToArray();

    public string ReadString() => StrictUtf8.GetString(ReadBytesSpan());

    public Guid ReadUuid() => Guid.Parse(ReadString());

    public ReadOnlySpan<byte> ReadFixedSpan(int size)
    {
        if (size > _data.Length - _position)
            ThrowEnd();
        var span = _data.Slice(_position, size);
        _position += size;
        return span;
    }

    public byte[] ReadFixed(int size) => ReadFixedSpan(size).ToArray();

    /// <summary>The item count of the next array/map block (0 ends the array or map); a negative count's block size is read and ignored.</summary>
    public int ReadBlockCount()
    {
        long count = ReadLong();
        if (count < 0)
        {
            count = -count;
            ReadLong();
        }

        if (count > _data.Length - _position + 1 && count > 1_000_000)
            Throw("Avro block count is larger than the payload.");
        return checked((int)count);
    }

    /// <summary>The union branch index, checked against the number of branches.</summary>
    public int ReadUnionIndex(int branches)
    {
        long index = ReadLong();
        if (index < 0 || index >= branches)
            Throw($"Avro union index {index} is out of range (the union has {branches} branches).");
        return (int)index;
    }

    public int ReadEnum(int symbols)
    {
        int index = ReadInt();
        if (index < 0 || index >= symbols)
            Throw($"Avro enum index {index} is out of range (the enum has {symbols} symbols).");
        return index;
    }

    /// <summary>An Avro decimal (big-endian two's complement unscaled value) as a <see cref="decimal"/>.</summary>
    public static decimal ToDecimal(ReadOnlySpan<byte> unscaled, int scale)
    {
        if (unscaled.Length == 0)
            return 0m;
        var value = new BigInteger(unscaled, isUnsigned: false, isBigEndian: true);
        bool negative = value.Sign < 0;
        var magnitude = BigInteger.Abs(value);
        if (magnitude.GetByteCount(isUnsigned: true) > 12 || scale > 28 || scale < 0)
            throw new OverflowException("Avro decimal does not fit System.Decimal.");
        Span<byte> bytes = stackalloc byte[12];
        bytes.Clear();
        magnitude.TryWriteBytes(bytes, out _, isUnsigned: true, isBigEndian: false);
        int lo = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        int mid = BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(4));
        int hi = BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(8));
        return new decimal(lo, mid, hi, negative, (byte)scale);
    }

    public static DateOnly ToDate(int daysSinceEpoch) => DateOnly.FromDayNumber(DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + daysSinceEpoch);

    public static DateTimeOffset ToTimestampMillis(long millis) => DateTimeOffset.FromUnixTimeMilliseconds(millis);

    public static DateTimeOffset ToTimestampMicros(long micros) => DateTimeOffset.UnixEpoch.AddTicks(checked(micros * 10));

    private const long TicksPerMicrosecond = 10;
    private const long TicksPerMillisecond = 10_000;
    private const long TicksPerDay = 864_000_000_000;
    private static readonly long EpochTicks = DateTime.UnixEpoch.Ticks;

    /// <summary>An Avro <c>date</c> as Apache.Avro's specific records hold it: a UTC <see cref="DateTime"/> at midnight.</summary>
    public static DateTime ToUtcDateTimeFromDays(int daysSinceEpoch) =>
        daysSinceEpoch is > 3_000_000 or < -3_000_000
            ? throw new InvalidDataException($"Avro date {daysSinceEpoch} is out of the range of DateTime.")
            : UtcFromTicks(daysSinceEpoch * TicksPerDay, "date");

    /// <summary>An Avro <c>timestamp-millis</c> as a UTC <see cref="DateTime"/> (Apache.Avro's specific records).</summary>
    public static DateTime ToUtcDateTimeFromMillis(long millis) =>
        millis > long.MaxValue / TicksPerMillisecond || millis < long.MinValue / TicksPerMillisecond
            ? throw new InvalidDataException($"Avro timestamp-millis {millis} is out of the range of DateTime.")
            : UtcFromTicks(millis * TicksPerMillisecond, "timestamp-millis");

    /// <summary>An Avro <c>timestamp-micros</c> as a UTC <see cref="DateTime"/> (Apache.Avro's specific records).</summary>
    public static DateTime ToUtcDateTimeFromMicros(long micros) =>
        micros > long.MaxValue / TicksPerMicrosecond || micros < long.MinValue / TicksPerMicrosecond
            ? throw new InvalidDataException($"Avro timestamp-micros {micros} is out of the range of DateTime.")
            : UtcFromTicks(micros * TicksPerMicrosecond, "timestamp-micros");

    /// <summary>An Avro <c>time-millis</c> as a <see cref="TimeSpan"/> since midnight (Apache.Avro's specific records).</summary>
    public static TimeSpan ToTimeSpanFromMillis(int millis) => new(millis * TicksPerMillisecond);

    /// <summary>An Avro <c>time-micros</c> as a <see cref="TimeSpan"/> since midnight (Apache.Avro's specific records).</summary>
    public static TimeSpan ToTimeSpanFromMicros(long micros) =>
        micros > long.MaxValue / TicksPerMicrosecond || micros < long.MinValue / TicksPerMicrosecond
            ? throw new InvalidDataException($"Avro time-micros {micros} is out of the range of TimeSpan.")
            : new TimeSpan(micros * TicksPerMicrosecond);

    private static DateTime UtcFromTicks(long ticksSinceEpoch, string logicalType)
    {
        if (ticksSinceEpoch > DateTime.MaxValue.Ticks - EpochTicks || ticksSinceEpoch < -EpochTicks)
            throw new InvalidDataException($"Avro {logicalType} is out of the range of DateTime.");
        return new DateTime(EpochTicks + ticksSinceEpoch, DateTimeKind.Utc);
    }

    /// <summary>Fails unless every byte was read.</summary>
    public readonly void EnsureEnd()
    {
        if (_position != _data.Length)
            Throw($"{_data.Length - _position} byte(s) left after the Avro record.");
    }

    private byte ReadByte()
    {
        if (_position >= _data.Length)
            ThrowEnd();
        return _data[_position++];
    }

    [DoesNotReturn]
    private static void ThrowEnd() => throw new InvalidDataException("The Avro payload ends in the middle of a value.");

    [DoesNotReturn]
    private static void Throw(string message) => throw new InvalidDataException(message);
}
