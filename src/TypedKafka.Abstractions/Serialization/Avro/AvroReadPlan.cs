using System.ComponentModel;

namespace TypedKafka.Serialization.Avro;

/// <summary>What a resolving decoder does at one point of the writer's data.</summary>
public enum AvroReadOperation
{
    /// <summary>The writer wrote null (for a reader union with null).</summary>
    Null = 0,
    Boolean = 1,
    Int = 2,

    /// <summary>A reader long; <see cref="AvroReadPlan.Writer"/> is int or long.</summary>
    Long = 3,

    /// <summary>A reader float; the writer wrote an int, long or float.</summary>
    Float = 4,

    /// <summary>A reader double; the writer wrote an int, long, float or double.</summary>
    Double = 5,

    /// <summary>A reader bytes or string: the two share one binary encoding, so either writer type reads the same.</summary>
    Bytes = 6,
    Fixed = 7,
    Enum = 8,
    Array = 9,
    Map = 10,
    Record = 11,

    /// <summary>The writer wrote a union: read the branch index, then follow <see cref="AvroReadPlan.Branches"/>.</summary>
    WriterUnion = 12,

    /// <summary>The writer's data here cannot be read as the reader's type: reaching it is an error.</summary>
    Error = 13,

    /// <summary>The writer's data here is not read (a field the reader does not have): skipped by its schema.</summary>
    Skip = 14,

    /// <summary>A reader union other than [null, T]: the value is read as reader branch <see cref="AvroReadPlan.ReaderBranch"/>
    /// by <see cref="AvroReadPlan.BranchPlan"/>.</summary>
    ReaderBranch = 15,
}

/// <summary>
/// A writer → reader resolution plan (Avro specification, "Schema Resolution"), built once per writer schema by
/// <see cref="AvroResolver"/> and followed by the generated resolving decoders. Not meant for application code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class AvroReadPlan
{
    internal AvroReadPlan(AvroReadOperation operation, AvroSchema writer)
    {
        Operation = operation;
        WriterSchema = writer;
        Writer = writer.Type;
    }

    public AvroReadOperation Operation { get; internal set; }

    /// <summary>The writer's type at this point (for promotions).</summary>
    public AvroType Writer { get; }

    public AvroSchema WriterSchema { get; }

    /// <summary>For <see cref="AvroReadOperation.ReaderBranch"/>: the index of the reader union's branch the value is read as.</summary>
    public int ReaderBranch { get; internal set; } = -1;

    /// <summary>For <see cref="AvroReadOperation.ReaderBranch"/>: the plan reading the value as that branch.</summary>
    public AvroReadPlan? BranchPlan { get; internal set; }

    /// <summary>For <see cref="AvroReadOperation.WriterUnion"/>: the plan of each writer branch.</summary>
    public AvroReadPlan[] Branches { get; internal set; } = Array.Empty<AvroReadPlan>();

    /// <summary>For records: one step per writer field, in the writer's order.</summary>
    public AvroFieldStep[] Fields { get; internal set; } = Array.Empty<AvroFieldStep>();

    /// <summary>For records: the reader fields the writer lacks, with their defaults encoded in Avro binary.</summary>
    public AvroDefaultStep[] Defaults { get; internal set; } = Array.Empty<AvroDefaultStep>();

    /// <summary>For enums: the reader's symbol index for each writer symbol index, -1 when the reader has no such symbol
    /// and no default.</summary>
    public int[] EnumMap { get; internal set; } = Array.Empty<int>();

    /// <summary>For arrays and maps: the plan of the items or values.</summary>
    public AvroReadPlan? Items { get; internal set; }

    /// <summary>For fixed: the size.</summary>
    public int Size { get; internal set; }

    /// <summary>For <see cref="AvroReadOperation.Error"/>: why, naming the field and both schemas.</summary>
    public string? Error { get; internal set; }

    public override string ToString() => Operation == AvroReadOperation.Error ? $"Error: {Error}" : $"{Operation} (writer {WriterSchema.Describe()})";
}

/// <summary>One writer field of a record plan: the reader field it fills (-1 = skipped) and how to read it.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct AvroFieldStep
{
    internal AvroFieldStep(int readerField, AvroReadPlan plan)
    {
        ReaderField = readerField;
        Plan = plan;
    }

    /// <summary>The reader field's index in the reader record, or -1 when the writer's field is skipped.</summary>
    public int ReaderField { get; }

    public AvroReadPlan Plan { get; }
}

/// <summary>A reader field missing from the writer's record: its default value, encoded with the reader's schema.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct AvroDefaultStep
{
    internal AvroDefaultStep(int readerField, byte[] encoded)
    {
        ReaderField = readerField;
        Encoded = encoded;
    }

    public int ReaderField { get; }

    /// <summary>The default in Avro binary, read by the same-schema decoder of the field's type.</summary>
    public byte[] Encoded { get; }
}

/// <summary>The writer schema cannot be read with the reader schema at some field; names the field and both schemas.</summary>
public sealed class AvroSchemaResolutionException : FormatException
{
    public AvroSchemaResolutionException(string message)
        : base(message)
    {
    }
}
