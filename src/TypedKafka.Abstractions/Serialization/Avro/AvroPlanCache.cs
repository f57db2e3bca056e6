using System.Collections.Concurrent;
using System.ComponentModel;
using TypedKafka.SchemaRegistry;

namespace TypedKafka.Serialization.Avro;

/// <summary>
/// The writer → reader plans of one generated Avro decoder, one per (registry, schema id), built on first use and kept.
/// A writer schema equal to the reader's gives no plan: the same-schema decoder reads it. Not meant for application code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class AvroPlanCache
{
    /// <summary>Plans kept per registry; past this, the cache starts again (a topic with thousands of writer schemas is
    /// not a steady state).</summary>
    public const int MaxPlans = 10_000;

    private static readonly AvroReadPlan SameSchema = new(AvroReadOperation.Skip, AvroSchema.Primitive(AvroType.Null));
    private readonly string _readerSchemaJson;
    private AvroSchema? _reader;
    private volatile Entry? _entry;

    public AvroPlanCache(string readerSchemaJson)
    {
        ArgumentNullException.ThrowIfNull(readerSchemaJson);
        _readerSchemaJson = readerSchemaJson;
    }

    /// <summary>The reader schema the decoder was generated from.</summary>
    public AvroSchema ReaderSchema => _reader ??= AvroSchema.Parse(_readerSchemaJson);

    /// <summary>The plan for data written with schema <paramref name="schemaId"/>, or null when that schema is the reader's.</summary>
    /// <exception cref="SchemaRegistryException">The registry could not be asked (retriable) or has no such schema.</exception>
    /// <exception cref="InvalidDataException">The registered schema is not an Avro schema, or is not valid.</exception>
    public AvroReadPlan? GetPlan(ISchemaRegistryClient registry, int schemaId)
    {
        var entry = _entry;
        if (entry is null || !ReferenceEquals(entry.Registry, registry))
            _entry = entry = new Entry(registry);
        if (entry.Plans.TryGetValue(schemaId, out var plan))
            return ReferenceEquals(plan, SameSchema) ? null : plan;

        plan = Build(registry.GetSchema(schemaId), $"id {schemaId}") ?? SameSchema;
        if (entry.Plans.Count >= MaxPlans)
            entry.Plans.Clear();
        entry.Plans[schemaId] = plan;
        return ReferenceEquals(plan, SameSchema) ? null : plan;
    }

    /// <summary>The plan for data written with the schema of this GUID (named by a schema-id header), or null when
    /// that schema is the reader's.</summary>
    public AvroReadPlan? GetPlan(ISchemaRegistryClient registry, Guid schemaGuid)
    {
        var entry = _entry;
        if (entry is null || !ReferenceEquals(entry.Registry, registry))
            _entry = entry = new Entry(registry);
        if (entry.GuidPlans.TryGetValue(schemaGuid, out var plan))
            return ReferenceEquals(plan, SameSchema) ? null : plan;
        plan = Build(registry.GetSchema(schemaGuid), $"guid {schemaGuid:D}") ?? SameSchema;
        if (entry.GuidPlans.Count >= MaxPlans)
            entry.GuidPlans.Clear();
        entry.GuidPlans[schemaGuid] = plan;
        return ReferenceEquals(plan, SameSchema) ? null : plan;
    }

    private AvroReadPlan? Build(RegisteredSchema registered, string label)
    {
        if (!string.Equals(registered.SchemaType, "AVRO", StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"Schema {label} is a {registered.SchemaType} schema; the handler reads Avro.");
        AvroSchema writer;
        try
        {
            writer = AvroSchema.Parse(registered.Schema);
        }
        catch (FormatException ex)
        {
            throw new InvalidDataException($"Schema {label} is not a valid Avro schema: {ex.Message}", ex);
        }

        return AvroResolver.Plan(writer, ReaderSchema, label);
    }

    private sealed class Entry(ISchemaRegistryClient registry)
    {
        public ISchemaRegistryClient Registry { get; } = registry;

        public ConcurrentDictionary<int, AvroReadPlan> Plans { get; } = new();

        public ConcurrentDictionary<Guid, AvroReadPlan> GuidPlans { get; } = new();
    }
}
