#nullable disable
namespace TypedKafka.RuntimeTests;

// Hand-written as avrogen writes specific records (nullable disabled, a static _SCHEMA parsed from a constant, one
// property per field named as the field, Get/Put by position). The generator decodes them without Apache.Avro's reader.

public enum ParcelState
{
    Created,
    Shipped,
    Delivered,
}

public sealed class AvroParcelEvent : Avro.Specific.ISpecificRecord
{
    public static Avro.Schema _SCHEMA = Avro.Schema.Parse(
        "{\"type\":\"record\",\"name\":\"AvroParcelEvent\",\"namespace\":\"TypedKafka.RuntimeTests\",\"fields\":["
        + "{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"carrier\",\"type\":\"string\"},"
        + "{\"name\":\"state\",\"type\":{\"type\":\"enum\",\"name\":\"ParcelState\",\"symbols\":[\"Created\",\"Shipped\",\"Delivered\"]}},"
        + "{\"name\":\"lines\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"AvroParcelLine\",\"fields\":["
        + "{\"name\":\"sku\",\"type\":\"string\"},{\"name\":\"qty\",\"type\":\"int\"},{\"name\":\"weight\",\"type\":[\"null\",\"double\"]}]}}},"
        + "{\"name\":\"counters\",\"type\":{\"type\":\"map\",\"values\":\"long\"}},"
        + "{\"name\":\"note\",\"type\":[\"null\",\"string\"]},{\"name\":\"priority\",\"type\":[\"null\",\"int\"]},"
        + "{\"name\":\"label\",\"type\":\"bytes\"},{\"name\":\"fragile\",\"type\":\"boolean\"},{\"name\":\"ratio\",\"type\":\"float\"}]}");

    public Avro.Schema Schema => _SCHEMA;

    public long id { get; set; }

    public string carrier { get; set; }

    public ParcelState state { get; set; }

    public IList<AvroParcelLine> lines { get; set; }

    public IDictionary<string, long> counters { get; set; }

    public string note { get; set; }

    public int? priority { get; set; }

    public byte[] label { get; set; }

    public bool fragile { get; set; }

    public float ratio { get; set; }

    public object Get(int fieldPos) => fieldPos switch
    {
        0 => id,
        1 => carrier,
        2 => state,
        3 => lines,
        4 => counters,
        5 => note,
        6 => priority,
        7 => label,
        8 => fragile,
        9 => ratio,
        _ => throw new Avro.AvroRuntimeException("Bad index " + fieldPos),
    };

    public void Put(int fieldPos, object fieldValue)
    {
        switch (fieldPos)
        {
            case 0: id = (long)fieldValue; break;
            case 1: carrier = (string)fieldValue; break;
            case 2: state = (ParcelState)fieldValue; break;
            case 3: lines = (IList<AvroParcelLine>)fieldValue; break;
            case 4: counters = (IDictionary<string, long>)fieldValue; break;
            case 5: note = (string)fieldValue; break;
            case 6: priority = (int?)fieldValue; break;
            case 7: label = (byte[])fieldValue; break;
            case 8: fragile = (bool)fieldValue; break;
            case 9: ratio = (float)fieldValue; break;
            default: throw new Avro.AvroRuntimeException("Bad index " + fieldPos);
        }
    }
}

public sealed class AvroParcelLine : Avro.Specific.ISpecificRecord
{
    public static Avro.Schema _SCHEMA = Avro.Schema.Parse(
        "{\"type\":\"record\",\"name\":\"AvroParcelLine\",\"namespace\":\"TypedKafka.RuntimeTests\",\"fields\":["
        + "{\"name\":\"sku\",\"type\":\"string\"},{\"name\":\"qty\",\"type\":\"int\"},{\"name\":\"weight\",\"type\":[\"null\",\"double\"]}]}");

    public Avro.Schema Schema => _SCHEMA;

    public string sku { get; set; }

    public int qty { get; set; }

    public double? weight { get; set; }

    public object Get(int fieldPos) => fieldPos switch
    {
        0 => sku,
        1 => qty,
        2 => weight,
        _ => throw new Avro.AvroRuntimeException("Bad index " + fieldPos),
    };

    public void Put(int fieldPos, object fieldValue)
    {
        switch (fieldPos)
        {
            case 0: sku = (string)fieldValue; break;
            case 1: qty = (int)fieldValue; break;
            case 2: weight = (double?)fieldValue; break;
            default: throw new Avro.AvroRuntimeException("Bad index " + fieldPos);
        }
    }
}

/// <summary>A specific record whose schema is not a compile-time constant: the generator falls back to Apache.Avro's reader.</summary>
public sealed class AvroLegacyPing : Avro.Specific.ISpecificRecord
{
    private static readonly string SchemaText = "{\"type\":\"record\",\"name\":\"AvroLegacyPing\",\"namespace\":\"TypedKafka.RuntimeTests\",\"fields\":[{\"name\":\"seq\",\"type\":\"long\"}]}";

    public static Avro.Schema _SCHEMA = Avro.Schema.Parse(SchemaText);

    public Avro.Schema Schema => _SCHEMA;

    public long seq { get; set; }

    public object Get(int fieldPos) => fieldPos == 0 ? seq : throw new Avro.AvroRuntimeException("Bad index " + fieldPos);

    public void Put(int fieldPos, object fieldValue)
    {
        if (fieldPos != 0)
            throw new Avro.AvroRuntimeException("Bad index " + fieldPos);
        seq = (long)fieldValue;
    }
}
