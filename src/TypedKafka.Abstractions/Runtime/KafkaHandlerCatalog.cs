namespace TypedKafka;

/// <summary>
/// Every handler of one assembly, emitted by the TypedKafka generator as <c>TypedKafka.Generated.KafkaHandlerCatalog_&lt;Assembly&gt;</c>.
/// The routing methods are generated switches on group and topic with direct calls: no reflection, no dictionary.
/// </summary>
public abstract class KafkaHandlerCatalog
{
    /// <summary>The simple name of the assembly the handlers were compiled into.</summary>
    public abstract string AssemblyName { get; }

    /// <summary>Every handler, in a deterministic order (by topic, group, type, method).</summary>
    public abstract IReadOnlyList<KafkaHandlerDescriptor> Handlers { get; }

    /// <summary>
    /// The invoker that runs every record handler of <paramref name="topic"/> in <paramref name="groupId"/> (null = the default group),
    /// in declaration order. The hosting looks it up once per assignment and calls it per record.
    /// </summary>
    public abstract bool TryGetInvoker(string? groupId, string topic, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out KafkaRecordInvoker? invoker);

    /// <summary>Routes one record through the generated switch; false when no record handler binds the topic in the group.</summary>
    public abstract bool TryDispatch(
        string? groupId, string topic,
        ReadOnlySpan<byte> key, bool keyIsNull,
        ReadOnlySpan<byte> value, bool valueIsNull,
        MessageContext context, IServiceProvider services, CancellationToken cancellationToken,
        out ValueTask completion);

    public override string ToString() => $"{AssemblyName}: {Handlers.Count} handler(s)";
}

/// <summary>
/// The process-wide list of handler catalogs. Each assembly compiled with the TypedKafka generator registers its catalog
/// here from a module initializer, and again (idempotently) from its generated <c>AddKafkaHandlersFrom&lt;Assembly&gt;()</c>.
/// </summary>
public static class KafkaHandlerRegistry
{
    private static readonly object Gate = new();
    private static KafkaHandlerCatalog[] _catalogs = Array.Empty<KafkaHandlerCatalog>();

    /// <summary>The registered catalogs, in registration order.</summary>
    public static IReadOnlyList<KafkaHandlerCatalog> Catalogs => Volatile.Read(ref _catalogs);

    /// <summary>Adds a catalog; registering the same catalog (or another of the same assembly) again does nothing.</summary>
    /// <returns>True when the catalog was added.</returns>
    public static bool Register(KafkaHandlerCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        lock (Gate)
        {
            foreach (var existing in _catalogs)
            {
                if (ReferenceEquals(existing, catalog) || existing.AssemblyName == catalog.AssemblyName)
                    return false;
            }

            var next = new KafkaHandlerCatalog[_catalogs.Length + 1];
            _catalogs.CopyTo(next, 0);
            next[^1] = catalog;
            Volatile.Write(ref _catalogs, next);
            return true;
        }
    }

    /// <summary>Every handler of every registered catalog.</summary>
    public static IEnumerable<KafkaHandlerDescriptor> AllHandlers() => Catalogs.SelectMany(c => c.Handlers);
}
