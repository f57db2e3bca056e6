using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace TypedKafka.Serialization.Avro;

/// <summary>
/// Builds writer → reader plans by the Avro specification's schema resolution rules: writer fields the reader lacks are
/// skipped; reader fields the writer lacks take their defaults; int → long → float → double and string ↔ bytes are
/// promoted; an unknown enum symbol takes the reader enum's default; unions on either side pick the matching branch;
/// records, enums and fixed match by name or by the reader's aliases, fields by name or by the reader field's aliases.
/// The specification's errors are of two kinds, and so are the plans': a mismatch between the schemas (a reader field
/// without default the writer lacks, types that cannot be promoted, arrays of such types even when empty) makes the
/// enclosing record's plan an <see cref="AvroReadOperation.Error"/>, so every value fails with a message naming the field
/// and both schemas; a mismatch in one branch of a writer union fails only values that selected that branch, and a writer
/// enum symbol the reader lacks (with no enum default) only values that carry it.
/// </summary>
public static class AvroResolver
{
    /// <summary>The plan to read data written with <paramref name="writer"/> as <paramref name="reader"/>, or null when
    /// the two encode identically (the same-schema decoder then applies).</summary>
    /// <param name="writer">The schema the data was written with.</param>
    /// <param name="reader">The schema the decoder reads.</param>
    /// <param name="writerLabel">How error messages name the writer schema, e.g. "id 42".</param>
    public static AvroReadPlan? Plan(AvroSchema writer, AvroSchema reader, string? writerLabel = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(reader);
        if (writer.CanonicalForm == reader.CanonicalForm)
            return null;
        return Build(writer, reader, writerLabel);
    }

    /// <summary>Always builds a plan, also for identical schemas.</summary>
    public static AvroReadPlan Build(AvroSchema writer, AvroSchema reader, string? writerLabel = null) =>
        new Planner(writer, reader, writerLabel).Resolve(writer, reader, reader.Name ?? AvroSchema.TypeName(reader.Type));

    private sealed class Planner(AvroSchema writerRoot, AvroSchema readerRoot, string? writerLabel)
    {
        private readonly Dictionary<(AvroSchema, AvroSchema), AvroReadPlan> _records = new();

        public AvroReadPlan Resolve(AvroSchema w, AvroSchema r, string path)
        {
            if (w.Type == AvroType.Union)
            {
                var union = new AvroReadPlan(AvroReadOperation.WriterUnion, w);
                var branches = new AvroReadPlan[w.Branches.Count];
                for (int i = 0; i < branches.Length; i++)
                    branches[i] = Resolve(w.Branches[i], r, path);
                union.Branches = branches;
                return union;
            }

            if (r.Type == AvroType.Union)
            {
                // A branch of the writer's own type first, then one it promotes to (as Apache.Avro's and Java's readers do:
                // a long goes to the long branch of [double, long], not to the first branch that can read it).
                for (int k = 0; k < 2 * r.Branches.Count; k++)
                {
                    int i = k % r.Branches.Count;
                    var branch = r.Branches[i];
                    if ((k < r.Branches.Count && branch.Type != w.Type) || !Matches(w, branch))
                        continue;
                    var plan = Resolve(w, branch, path);

                    // A reader union other than [null, T] is one C# object (an Apache.Avro specific record's wide union):
                    // its reader needs to know which branch the value is read as.
                    if (plan.Operation == AvroReadOperation.Error || (r.Branches.Count == 2 && (r.Branches[0].Type == AvroType.Null || r.Branches[1].Type == AvroType.Null)))
                        return plan;
                    return new AvroReadPlan(AvroReadOperation.ReaderBranch, w) { ReaderBranch = i, BranchPlan = plan };
                }

                return Error(w, path, $"the writer's {w.Describe()} matches no branch of the reader's {r.Describe()}");
            }

            switch (r.Type)
            {
                case AvroType.Null:
                case AvroType.Boolean:
                case AvroType.Int:
                    return w.Type == r.Type ? new AvroReadPlan((AvroReadOperation)(int)r.Type, w) : Mismatch(w, r, path);
                case AvroType.Long:
                    return w.Type is AvroType.Int or AvroType.Long ? new AvroReadPlan(AvroReadOperation.Long, w) : Mismatch(w, r, path);
                case AvroType.Float:
                    return w.Type is AvroType.Int or AvroType.Long or AvroType.Float ? new AvroReadPlan(AvroReadOperation.Float, w) : Mismatch(w, r, path);
                case AvroType.Double:
                    return w.Type is AvroType.Int or AvroType.Long or AvroType.Float or AvroType.Double ? new AvroReadPlan(AvroReadOperation.Double, w) : Mismatch(w, r, path);
                case AvroType.Bytes:
                case AvroType.String:
                    return w.Type is AvroType.Bytes or AvroType.String ? new AvroReadPlan(AvroReadOperation.Bytes, w) : Mismatch(w, r, path);
                case AvroType.Fixed:
                    if (w.Type != AvroType.Fixed || !NamesMatch(w, r))
                        return Mismatch(w, r, path);
                    if (w.Size != r.Size)
                        return Error(w, path, $"the writer's {w.Describe()} has size {w.Size}, the reader's {r.Size}");
                    return new AvroReadPlan(AvroReadOperation.Fixed, w) { Size = r.Size };
                case AvroType.Enum:
                    return w.Type == AvroType.Enum && NamesMatch(w, r) ? EnumPlan(w, r) : Mismatch(w, r, path);
                case AvroType.Array:
                    return w.Type == AvroType.Array
                        ? Container(new AvroReadPlan(AvroReadOperation.Array, w), Resolve(w.Items!, r.Items!, path + "[]"))
                        : Mismatch(w, r, path);
                case AvroType.Map:
                    return w.Type == AvroType.Map
                        ? Container(new AvroReadPlan(AvroReadOperation.Map, w), Resolve(w.Items!, r.Items!, path + "{}"))
                        : Mismatch(w, r, path);
                case AvroType.Record:
                    return w.Type == AvroType.Record && NamesMatch(w, r) ? RecordPlan(w, r, path) : Mismatch(w, r, path);
                default:
                    return Mismatch(w, r, path);
            }
        }

        private AvroReadPlan RecordPlan(AvroSchema w, AvroSchema r, string path)
        {
            if (_records.TryGetValue((w, r), out var known))
                return known; // a recursive record: the plan refers to itself
            var plan = new AvroReadPlan(AvroReadOperation.Record, w);
            _records[(w, r)] = plan;
            var filled = new bool[r.Fields.Count];
            var steps = new AvroFieldStep[w.Fields.Count];
            for (int i = 0; i < steps.Length; i++)
            {
                var wf = w.Fields[i];
                var rf = r.Fields.FirstOrDefault(f => f.Name == wf.Name) ?? r.Fields.FirstOrDefault(f => f.Aliases.Contains(wf.Name));
                if (rf is null || filled[rf.Position])
                {
                    steps[i] = new AvroFieldStep(-1, new AvroReadPlan(AvroReadOperation.Skip, wf.Schema));
                    continue;
                }

                filled[rf.Position] = true;
                var fieldPlan = Resolve(wf.Schema, rf.Schema, path + "." + rf.Name);
                if (fieldPlan.Operation == AvroReadOperation.Error)
                    return Fail(plan, fieldPlan.Error!);
                steps[i] = new AvroFieldStep(rf.Position, fieldPlan);
            }

            var defaults = new List<AvroDefaultStep>();
            foreach (var rf in r.Fields)
            {
                if (filled[rf.Position])
                    continue;
                if (!rf.HasDefault)
                    return Fail(plan, Message(path + "." + rf.Name, $"the writer's record {w.FullName} has no field {rf.Name} and the reader's field has no default"));

                try
                {
                    defaults.Add(new AvroDefaultStep(rf.Position, AvroDefaultEncoder.Encode(rf.Default, rf.Schema)));
                }
                catch (FormatException ex)
                {
                    return Fail(plan, Message(path + "." + rf.Name, $"the reader field's default is not valid for its schema: {ex.Message}"));
                }
            }

            plan.Fields = steps;
            plan.Defaults = defaults.ToArray();
            return plan;
        }

        private static AvroReadPlan Fail(AvroReadPlan plan, string error)
        {
            plan.Operation = AvroReadOperation.Error;
            plan.Error = error;
            return plan;
        }

        /// <summary>Arrays and maps whose items cannot be resolved are themselves an error (also when empty).</summary>
        private static AvroReadPlan Container(AvroReadPlan plan, AvroReadPlan items)
        {
            if (items.Operation == AvroReadOperation.Error)
                return Fail(plan, items.Error!);
            plan.Items = items;
            return plan;
        }

        private static AvroReadPlan EnumPlan(AvroSchema w, AvroSchema r)
        {
            int fallback = r.EnumDefault is null ? -1 : IndexOf(r.Symbols, r.EnumDefault);
            var map = new int[w.Symbols.Count];
            for (int i = 0; i < map.Length; i++)
            {
                int index = IndexOf(r.Symbols, w.Symbols[i]);
                map[i] = index >= 0 ? index : fallback;
            }

            return new AvroReadPlan(AvroReadOperation.Enum, w) { EnumMap = map };
        }

        private static int IndexOf(IReadOnlyList<string> symbols, string symbol)
        {
            for (int i = 0; i < symbols.Count; i++)
            {
                if (symbols[i] == symbol)
                    return i;
            }

            return -1;
        }

        /// <summary>The specification's "match" for choosing a reader union branch.</summary>
        private static bool Matches(AvroSchema w, AvroSchema r) => r.Type switch
        {
            AvroType.Record or AvroType.Enum or AvroType.Fixed => w.Type == r.Type && NamesMatch(w, r),
            AvroType.Array or AvroType.Map => w.Type == r.Type,
            AvroType.Long => w.Type is AvroType.Int or AvroType.Long,
            AvroType.Float => w.Type is AvroType.Int or AvroType.Long or AvroType.Float,
            AvroType.Double => w.Type is AvroType.Int or AvroType.Long or AvroType.Float or AvroType.Double,
            AvroType.Bytes or AvroType.String => w.Type is AvroType.Bytes or AvroType.String,
            _ => w.Type == r.Type,
        };

        /// <summary>Same full or unqualified name, or the writer's name is one of the reader's aliases.</summary>
        private static bool NamesMatch(AvroSchema w, AvroSchema r) =>
            w.FullName == r.FullName || w.Name == r.Name
            || r.Aliases.Any(a => a == w.FullName || a.Substring(a.LastIndexOf('.') + 1) == w.Name && !a.Contains('.'));

        private AvroReadPlan Mismatch(AvroSchema w, AvroSchema r, string path) =>
            Error(w, path, $"the writer's {w.Describe()} cannot be read as the reader's {r.Describe()}");

        private AvroReadPlan Error(AvroSchema w, string path, string reason) =>
            new(AvroReadOperation.Error, w) { Error = Message(path, reason) };

        private string Message(string path, string reason) =>
            $"Avro schema resolution failed at field '{path}': {reason}. Writer schema{(writerLabel is null ? "" : " (" + writerLabel + ")")}: {writerRoot.CanonicalForm}. Reader schema: {readerRoot.CanonicalForm}.";
    }
}

/// <summary>Encodes a field's JSON default value in Avro binary, by the field's schema.</summary>
internal static class AvroDefaultEncoder
{
    public static byte[] Encode(JsonElement value, AvroSchema schema)
    {
        var output = new List<byte>();
        Write(value, schema, output);
        return output.ToArray();
    }

    private static void Write(JsonElement value, AvroSchema schema, List<byte> output)
    {
        switch (schema.Type)
        {
            case AvroType.Null:
                Expect(value.ValueKind == JsonValueKind.Null, schema, value);
                return;
            case AvroType.Boolean:
                Expect(value.ValueKind is JsonValueKind.True or JsonValueKind.False, schema, value);
                output.Add(value.ValueKind == JsonValueKind.True ? (byte)1 : (byte)0);
                return;
            case AvroType.Int:
                Expect(value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _), schema, value);
                WriteLong(value.GetInt32(), output);
                return;
            case AvroType.Long:
                Expect(value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _), schema, value);
                WriteLong(value.GetInt64(), output);
                return;
            case AvroType.Float:
            {
                Expect(value.ValueKind == JsonValueKind.Number, schema, value);
                Span<byte> bytes = stackalloc byte[4];
                BinaryPrimitives.WriteSingleLittleEndian(bytes, (float)value.GetDouble());
                output.AddRange(bytes.ToArray());
                return;
            }

            case AvroType.Double:
            {
                Expect(value.ValueKind == JsonValueKind.Number, schema, value);
                Span<byte> bytes = stackalloc byte[8];
                BinaryPrimitives.WriteDoubleLittleEndian(bytes, value.GetDouble());
                output.AddRange(bytes.ToArray());
                return;
            }

            case AvroType.String:
            {
                Expect(value.ValueKind == JsonValueKind.String, schema, value);
                byte[] utf8 = Encoding.UTF8.GetBytes(value.GetString()!);
                WriteLong(utf8.Length, output);
                output.AddRange(utf8);
                return;
            }

            case AvroType.Bytes:
            case AvroType.Fixed:
            {
                // Bytes and fixed defaults are JSON strings whose code points 0-255 are the bytes.
                Expect(value.ValueKind == JsonValueKind.String, schema, value);
                string text = value.GetString()!;
                if (text.Any(c => c > 0xFF))
                    throw new FormatException($"the {schema.Describe()} default has a character above U+00FF");
                if (schema.Type == AvroType.Fixed && text.Length != schema.Size)
                    throw new FormatException($"the {schema.Describe()} default has {text.Length} bytes, not {schema.Size}");
                if (schema.Type == AvroType.Bytes)
                    WriteLong(text.Length, output);
                foreach (char c in text)
                    output.Add((byte)c);
                return;
            }

            case AvroType.Enum:
            {
                Expect(value.ValueKind == JsonValueKind.String, schema, value);
                int index = schema.Symbols.ToList().IndexOf(value.GetString()!);
                if (index < 0)
                    throw new FormatException($"the {schema.Describe()} default {value.GetRawText()} is not one of its symbols");
                WriteLong(index, output);
                return;
            }

            case AvroType.Array:
                Expect(value.ValueKind == JsonValueKind.Array, schema, value);
                if (value.GetArrayLength() > 0)
                {
                    WriteLong(value.GetArrayLength(), output);
                    foreach (var item in value.EnumerateArray())
                        Write(item, schema.Items!, output);
                }

                output.Add(0);
                return;
            case AvroType.Map:
            {
                Expect(value.ValueKind == JsonValueKind.Object, schema, value);
                var entries = value.EnumerateObject().ToList();
                if (entries.Count > 0)
                {
                    WriteLong(entries.Count, output);
                    foreach (var entry in entries)
                    {
                        byte[] key = Encoding.UTF8.GetBytes(entry.Name);
                        WriteLong(key.Length, output);
                        output.AddRange(key);
                        Write(entry.Value, schema.Items!, output);
                    }
                }

                output.Add(0);
                return;
            }

            case AvroType.Record:
                Expect(value.ValueKind == JsonValueKind.Object, schema, value);
                foreach (var field in schema.Fields)
                {
                    if (value.TryGetProperty(field.Name, out var fieldValue))
                        Write(fieldValue, field.Schema, output);
                    else if (field.HasDefault)
                        Write(field.Default, field.Schema, output);
                    else
                        throw new FormatException($"the {schema.Describe()} default has no value for field {field.Name}");
                }

                return;
            case AvroType.Union:
            {
                // The default of a union is a value of its first branch (Avro specification, "Complex Types: Unions").
                WriteLong(0, output);
                Write(value, schema.Branches[0], output);
                return;
            }
        }
    }

    private static void Expect(bool condition, AvroSchema schema, JsonElement value)
    {
        if (!condition)
            throw new FormatException($"{value.GetRawText()} is not a {schema.Describe()}");
    }

    private static void WriteLong(long value, List<byte> output)
    {
        ulong raw = (ulong)((value << 1) ^ (value >> 63));
        while (raw >= 0x80)
        {
            output.Add((byte)(raw | 0x80));
            raw >>= 7;
        }

        output.Add((byte)raw);
    }
}
