using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace TypedKafka.Serialization.Avro;

/// <summary>
/// What the generated resolving decoders call: each reads one value of the reader's type from data written with the
/// plan's writer type (following a writer union's branch, applying promotions). Not meant for application code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class AvroResolving
{
    /// <summary>Follows a writer union to the branch written, and fails on an <see cref="AvroReadOperation.Error"/> step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static AvroReadPlan Resolve(ref AvroBinaryReader reader, AvroReadPlan plan)
    {
        if (plan.Operation == AvroReadOperation.WriterUnion)
            plan = plan.Branches[reader.ReadUnionIndex(plan.Branches.Length)];
        if (plan.Operation == AvroReadOperation.Error)
            ThrowResolution(plan);
        return plan;
    }

    /// <summary>For a reader union of null and T: true when the writer wrote null; otherwise <paramref name="plan"/>
    /// becomes the plan to read T with.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsNull(ref AvroBinaryReader reader, ref AvroReadPlan plan)
    {
        plan = Resolve(ref reader, plan);
        return plan.Operation == AvroReadOperation.Null;
    }

    /// <summary>For a reader union other than [null, T]: the reader branch the writer's value is read as; <paramref name="plan"/>
    /// becomes the plan to read it with.</summary>
    public static int ReaderBranch(ref AvroBinaryReader reader, ref AvroReadPlan plan)
    {
        plan = Resolve(ref reader, plan);
        if (plan.Operation != AvroReadOperation.ReaderBranch)
            throw new InvalidDataException($"The resolution plan has no reader union branch here ({plan}).");
        int branch = plan.ReaderBranch;
        plan = plan.BranchPlan!;
        return branch;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool ReadBoolean(ref AvroBinaryReader reader, AvroReadPlan plan)
    {
        Resolve(ref reader, plan);
        return reader.ReadBoolean();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ReadInt(ref AvroBinaryReader reader, AvroReadPlan plan)
    {
        Resolve(ref reader, plan);
        return reader.ReadInt();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ReadLong(ref AvroBinaryReader reader, AvroReadPlan plan)
    {
        plan = Resolve(ref reader, plan);
        return plan.Writer == AvroType.Int ? reader.ReadInt() : reader.ReadLong();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ReadFloat(ref AvroBinaryReader reader, AvroReadPlan plan)
    {
        plan = Resolve(ref reader, plan);
        return plan.Writer switch
        {
            AvroType.Int => reader.ReadInt(),
            AvroType.Long => reader.ReadLong(),
            _ => reader.ReadFloat(),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ReadDouble(ref AvroBinaryReader reader, AvroReadPlan plan)
    {
        plan = Resolve(ref reader, plan);
        return plan.Writer switch
        {
            AvroType.Int => reader.ReadInt(),
            AvroType.Long => reader.ReadLong(),
            AvroType.Float => reader.ReadFloat(),
            _ => reader.ReadDouble(),
        };
    }

    /// <summary>Bytes or a string: one encoding, so the writer's choice of the two does not matter.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> ReadBytesSpan(ref AvroBinaryReader reader, AvroReadPlan plan)
    {
        Resolve(ref reader, plan);
        return reader.ReadBytesSpan();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte[] ReadBytes(ref AvroBinaryReader reader, AvroReadPlan plan)
    {
        Resolve(ref reader, plan);
        return reader.ReadBytes();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static string ReadString(ref AvroBinaryReader reader, AvroReadPlan plan)
    {
        Resolve(ref reader, plan);
        return reader.ReadString();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> ReadFixedSpan(ref AvroBinaryReader reader, AvroReadPlan plan)
    {
        plan = Resolve(ref reader, plan);
        return reader.ReadFixedSpan(plan.Size);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte[] ReadFixed(ref AvroBinaryReader reader, AvroReadPlan plan)
    {
        plan = Resolve(ref reader, plan);
        return reader.ReadFixed(plan.Size);
    }

    /// <summary>The reader's symbol index for the writer's symbol (or the reader enum's default).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ReadEnum(ref AvroBinaryReader reader, AvroReadPlan plan)
    {
        plan = Resolve(ref reader, plan);
        int written = reader.ReadEnum(plan.EnumMap.Length);
        int index = plan.EnumMap[written];
        if (index < 0)
            ThrowUnknownSymbol(plan, written);
        return index;
    }

    /// <summary>The record plan to follow (after a writer union's branch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static AvroReadPlan Record(ref AvroBinaryReader reader, AvroReadPlan plan) => Resolve(ref reader, plan);

    /// <summary>The plan of the items or values of an array or map (after a writer union's branch).</summary>
    public static AvroReadPlan Items(ref AvroBinaryReader reader, AvroReadPlan plan) => Resolve(ref reader, plan).Items!;

    /// <summary>Skips one value written with <paramref name="schema"/>.</summary>
    public static void Skip(ref AvroBinaryReader reader, AvroSchema schema)
    {
        switch (schema.Type)
        {
            case AvroType.Null:
                return;
            case AvroType.Boolean:
                reader.ReadBoolean();
                return;
            case AvroType.Int:
            case AvroType.Long:
            case AvroType.Enum:
                reader.ReadLong();
                return;
            case AvroType.Float:
                reader.ReadFixedSpan(4);
                return;
            case AvroType.Double:
                reader.ReadFixedSpan(8);
                return;
            case AvroType.Bytes:
            case AvroType.String:
                reader.ReadBytesSpan();
                return;
            case AvroType.Fixed:
                reader.ReadFixedSpan(schema.Size);
                return;
            case AvroType.Record:
                foreach (var field in schema.Fields)
                    Skip(ref reader, field.Schema);
                return;
            case AvroType.Union:
                Skip(ref reader, schema.Branches[reader.ReadUnionIndex(schema.Branches.Count)]);
                return;
            case AvroType.Array:
            case AvroType.Map:
                for (int count = reader.ReadBlockCount(); count != 0; count = reader.ReadBlockCount())
                {
                    for (int i = 0; i < count; i++)
                    {
                        if (schema.Type == AvroType.Map)
                            reader.ReadBytesSpan();
                        Skip(ref reader, schema.Items!);
                    }
                }

                return;
        }
    }

    [DoesNotReturn]
    private static void ThrowResolution(AvroReadPlan plan) => throw new AvroSchemaResolutionException(plan.Error!);

    [DoesNotReturn]
    private static void ThrowUnknownSymbol(AvroReadPlan plan, int written) =>
        throw new AvroSchemaResolutionException(
            $"The writer's {plan.WriterSchema.Describe()} symbol '{plan.WriterSchema.Symbols[written]}' is not a symbol of the reader's enum, which has no default.");
}
