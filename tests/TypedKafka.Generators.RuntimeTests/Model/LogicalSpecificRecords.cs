#nullable disable
namespace TypedKafka.RuntimeTests;

// Hand-written as avrogen (Apache.Avro 1.12) writes them: fixed as SpecificFixed subclasses, decimal as AvroDecimal,
// date and timestamps as DateTime, time-millis/micros as TimeSpan, uuid as Guid.

public sealed class Md5 : Avro.Specific.SpecificFixed
{
    public static Avro.Schema _SCHEMA = Avro.Schema.Parse("{\"type\":\"fixed\",\"name\":\"Md5\",\"namespace\":\"TypedKafka.RuntimeTests\",\"size\":16}");

    public Md5()
        : base(16)
    {
    }

    public override Avro.Schema Schema => _SCHEMA;
}

public sealed class AvroLogicalEvent : Avro.Specific.ISpecificRecord
{
    public const string SchemaJson =
        "{\"type\":\"record\",\"name\":\"AvroLogicalEvent\",\"namespace\":\"TypedKafka.RuntimeTests\",\"fields\":["
        + "{\"name\":\"hash\",\"type\":{\"type\":\"fixed\",\"name\":\"Md5\",\"size\":16}},"
        + "{\"name\":\"amount\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":30,\"scale\":4}},"
        + "{\"name\":\"day\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},"
        + "{\"name\":\"clock\",\"type\":{\"type\":\"int\",\"logicalType\":\"time-millis\"}},"
        + "{\"name\":\"clockMicros\",\"type\":{\"type\":\"long\",\"logicalType\":\"time-micros\"}},"
        + "{\"name\":\"at\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
        + "{\"name\":\"atMicros\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}},"
        + "{\"name\":\"id\",\"type\":{\"type\":\"string\",\"logicalType\":\"uuid\"}},"
        + "{\"name\":\"maybeHash\",\"type\":[\"null\",\"Md5\"]},"
        + "{\"name\":\"maybeAt\",\"type\":[\"null\",{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}]},"
        + "{\"name\":\"maybeAmount\",\"type\":[{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":10,\"scale\":3},\"null\"]}]}";

    public static Avro.Schema _SCHEMA = Avro.Schema.Parse(SchemaJson);

    public Avro.Schema Schema => _SCHEMA;

    public Md5 hash { get; set; }

    public Avro.AvroDecimal amount { get; set; }

    public System.DateTime day { get; set; }

    public System.TimeSpan clock { get; set; }

    public System.TimeSpan clockMicros { get; set; }

    public System.DateTime at { get; set; }

    public System.DateTime atMicros { get; set; }

    public System.Guid id { get; set; }

    public Md5 maybeHash { get; set; }

    public System.DateTime? maybeAt { get; set; }

    public Avro.AvroDecimal? maybeAmount { get; set; }

    public object Get(int fieldPos) => fieldPos switch
    {
        0 => hash,
        1 => amount,
        2 => day,
        3 => clock,
        4 => clockMicros,
        5 => at,
        6 => atMicros,
        7 => id,
        8 => maybeHash,
        9 => maybeAt,
        10 => maybeAmount,
        _ => throw new Avro.AvroRuntimeException("Bad index " + fieldPos),
    };

    public void Put(int fieldPos, object fieldValue)
    {
        switch (fieldPos)
        {
            case 0: hash = (Md5)fieldValue; break;
            case 1: amount = (Avro.AvroDecimal)fieldValue; break;
            case 2: day = (System.DateTime)fieldValue; break;
            case 3: clock = (System.TimeSpan)fieldValue; break;
            case 4: clockMicros = (System.TimeSpan)fieldValue; break;
            case 5: at = (System.DateTime)fieldValue; break;
            case 6: atMicros = (System.DateTime)fieldValue; break;
            case 7: id = (System.Guid)fieldValue; break;
            case 8: maybeHash = (Md5)fieldValue; break;
            case 9: maybeAt = (System.DateTime?)fieldValue; break;
            case 10: maybeAmount = (Avro.AvroDecimal?)fieldValue; break;
            default: throw new Avro.AvroRuntimeException("Bad index " + fieldPos);
        }
    }
}

/// <summary>A decimal on a fixed: Apache.Avro 1.12's SpecificDatumReader cannot read it into a specific record (it takes
/// the property's boxed AvroDecimal for a SpecificFixed to reuse and throws InvalidCastException), so the generated
/// decoder is compared with its GenericDatumReader, which gives the AvroDecimal the schema means.</summary>
public sealed class AvroFixedDecimalEvent : Avro.Specific.ISpecificRecord
{
    public const string SchemaJson =
        "{\"type\":\"record\",\"name\":\"AvroFixedDecimalEvent\",\"namespace\":\"TypedKafka.RuntimeTests\",\"fields\":["
        + "{\"name\":\"price\",\"type\":{\"type\":\"fixed\",\"name\":\"Money\",\"size\":12,\"logicalType\":\"decimal\",\"precision\":28,\"scale\":2}},"
        + "{\"name\":\"maybePrice\",\"type\":[\"null\",\"Money\"]}]}";

    public static Avro.Schema _SCHEMA = Avro.Schema.Parse(SchemaJson);

    public Avro.Schema Schema => _SCHEMA;

    public Avro.AvroDecimal price { get; set; }

    public Avro.AvroDecimal? maybePrice { get; set; }

    public object Get(int fieldPos) => fieldPos switch
    {
        0 => price,
        1 => maybePrice,
        _ => throw new Avro.AvroRuntimeException("Bad index " + fieldPos),
    };

    public void Put(int fieldPos, object fieldValue)
    {
        switch (fieldPos)
        {
            case 0: price = (Avro.AvroDecimal)fieldValue; break;
            case 1: maybePrice = (Avro.AvroDecimal?)fieldValue; break;
            default: throw new Avro.AvroRuntimeException("Bad index " + fieldPos);
        }
    }
}

public sealed class AvroUnionInner : Avro.Specific.ISpecificRecord
{
    public static Avro.Schema _SCHEMA = Avro.Schema.Parse(
        "{\"type\":\"record\",\"name\":\"AvroUnionInner\",\"namespace\":\"TypedKafka.RuntimeTests\",\"fields\":[{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"n\",\"type\":[\"null\",\"long\"]}]}");

    public Avro.Schema Schema => _SCHEMA;

    public string name { get; set; }

    public long? n { get; set; }

    public object Get(int fieldPos) => fieldPos switch
    {
        0 => name,
        1 => n,
        _ => throw new Avro.AvroRuntimeException("Bad index " + fieldPos),
    };

    public void Put(int fieldPos, object fieldValue)
    {
        switch (fieldPos)
        {
            case 0: name = (string)fieldValue; break;
            case 1: n = (long?)fieldValue; break;
            default: throw new Avro.AvroRuntimeException("Bad index " + fieldPos);
        }
    }
}

/// <summary>Unions other than [null, T]: avrogen makes them object properties.</summary>
public sealed class AvroUnionEvent : Avro.Specific.ISpecificRecord
{
    public const string SchemaJson =
        "{\"type\":\"record\",\"name\":\"AvroUnionEvent\",\"namespace\":\"TypedKafka.RuntimeTests\",\"fields\":["
        + "{\"name\":\"choice\",\"type\":[\"null\",\"string\",\"int\",{\"type\":\"record\",\"name\":\"AvroUnionInner\",\"fields\":[{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"n\",\"type\":[\"null\",\"long\"]}]}]},"
        + "{\"name\":\"pick\",\"type\":[\"boolean\",\"double\",\"bytes\",{\"type\":\"enum\",\"name\":\"ParcelState\",\"symbols\":[\"Created\",\"Shipped\",\"Delivered\"]},"
        + "{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"},\"null\"]},"
        + "{\"name\":\"again\",\"type\":[\"AvroUnionInner\",\"string\"]}]}";

    public static Avro.Schema _SCHEMA = Avro.Schema.Parse(SchemaJson);

    public Avro.Schema Schema => _SCHEMA;

    public object choice { get; set; }

    public object pick { get; set; }

    public object again { get; set; }

    public object Get(int fieldPos) => fieldPos switch
    {
        0 => choice,
        1 => pick,
        2 => again,
        _ => throw new Avro.AvroRuntimeException("Bad index " + fieldPos),
    };

    public void Put(int fieldPos, object fieldValue)
    {
        switch (fieldPos)
        {
            case 0: choice = fieldValue; break;
            case 1: pick = fieldValue; break;
            case 2: again = fieldValue; break;
            default: throw new Avro.AvroRuntimeException("Bad index " + fieldPos);
        }
    }
}
