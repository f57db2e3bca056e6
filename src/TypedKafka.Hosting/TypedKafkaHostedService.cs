using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace TypedKafka.Hosting;

/// <summary>
/// Starts one <see cref="GroupEngine"/> per consumer group found among the generated handlers (only those of
/// <see cref="TypedKafkaOptions.Groups"/> when it is set) and stops them gracefully: each stops fetching, lets its
/// handlers in flight finish, commits and leaves its group. A group that hits a fatal error stops the application or
/// is rebuilt, per <see cref="TypedKafkaOptions.OnFatalError"/>.
/// </summary>
internal sealed class TypedKafkaHostedService : IHostedService, IAsyncDisposable
{
    private readonly IServiceProvider _services;
    private readonly TypedKafkaOptions _options;
    private readonly TypedKafkaReadiness _readiness;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _groups = [];
    private readonly Dictionary<string, GroupEngine> _engines = new(StringComparer.Ordinal);
    private TypedKafka.SchemaRegistry.SchemaRegistryClient? _ownedRegistry;
    private TypedKafka.SchemaRegistry.ISchemaRegistryClient? _registry;

    public TypedKafkaHostedService(IServiceProvider services, IOptions<TypedKafkaOptions> options, TypedKafkaReadiness readiness)
    {
        _services = services;
        _options = options.Value;
        _readiness = readiness;
        _log = services.GetService<ILoggerFactory>()?.CreateLogger("TypedKafka.Hosting") ?? NullLogger.Instance;
    }

    /// <summary>The engine running each group now (tests read processor figures from it).</summary>
    internal GroupEngine? Engine(string groupId)
    {
        lock (_engines) return _engines.GetValueOrDefault(groupId);
    }

    /// <exception cref="ArgumentException">A handler attribute has a bad value, or <see cref="TypedKafkaOptions.Groups"/>
    /// names a group no handler uses.</exception>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var catalogs = KafkaHandlerRegistry.Catalogs.Concat(_services.GetServices<KafkaHandlerCatalog>()).Distinct().ToList();
        var plan = HandlerPlan.Build(catalogs, _options);
        if (_options.Groups.Count > 0)
        {
            var known = plan.Select(g => g.GroupId).ToHashSet(StringComparer.Ordinal);
            var unknown = _options.Groups.Where(g => !known.Contains(g)).ToList();
            if (unknown.Count > 0)
                throw new ArgumentException(
                    $"TypedKafka:Groups names {string.Join(", ", unknown.Select(g => $"'{g}'"))}, which no handler uses; the handlers' groups are {string.Join(", ", known.Order(StringComparer.Ordinal).Select(g => $"'{g}'"))}.",
                    nameof(TypedKafkaOptions.Groups));
            var wanted = _options.Groups.ToHashSet(StringComparer.Ordinal);
            plan = [.. plan.Where(g => wanted.Contains(g.GroupId))];
        }
        if (plan.Count == 0)
        {
            Log.NoHandlers(_log);
            return Task.CompletedTask;
        }
        // One registry client (and so one schema cache) for every group: a registered ISchemaRegistryClient, else one
        // built from TypedKafkaOptions.SchemaRegistry and owned (disposed) by this service.
        var registry = _services.GetService<TypedKafka.SchemaRegistry.ISchemaRegistryClient>();
        if (registry is null && _options.SchemaRegistry is { } registryOptions)
            registry = _ownedRegistry = new TypedKafka.SchemaRegistry.SchemaRegistryClient(registryOptions);
        _registry = registry;
        foreach (var group in plan)
        {
            var engine = NewEngine(group, restarts: 0);
            _groups.Add(Task.Run(() => RunGroupAsync(group, engine), CancellationToken.None));
        }
        return Task.CompletedTask;
    }

    /// <summary>Runs one group until the host stops; after a fatal error stops the host or rebuilds the group.</summary>
    private async Task RunGroupAsync(HandlerPlan.Group group, GroupEngine engine)
    {
        var restarts = 0;
        var backoff = _options.RestartBackoff;
        while (true)
        {
            Exception? fatal;
            try
            {
                fatal = await engine.RunAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                fatal = e;
            }
            if (fatal is null) return;
            if (_options.OnFatalError == FatalErrorAction.StopHost)
            {
                Log.FatalStopHost(_log, fatal, group.GroupId, fatal.Message);
                _services.GetService<IHostApplicationLifetime>()?.StopApplication();
                return;
            }
            restarts++;
            Log.FatalRestart(_log, fatal, group.GroupId, backoff.TotalMilliseconds, restarts, fatal.Message);
            try
            {
                await Task.Delay(backoff, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromMinutes(5).Ticks));
            engine = NewEngine(group, restarts);
        }
    }

    private GroupEngine NewEngine(HandlerPlan.Group group, int restarts)
    {
        var engine = new GroupEngine(group, _options, _services, _readiness, _log, restarts) { SchemaRegistry = _registry };
        lock (_engines) _engines[group.GroupId] = engine;
        return engine;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        try
        {
            await Task.WhenAll(_groups).WaitAsync(_options.ShutdownTimeout + TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Each group logged its own failure.
        }
    }

    public ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        _ownedRegistry?.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The groups to run, derived from the handler catalogs: group id → topic → route.</summary>
internal static class HandlerPlan
{
    public sealed record Group(string GroupId, string? CatalogGroup, IReadOnlyDictionary<string, TopicRoute> Routes);

    /// <exception cref="InvalidOperationException">Handlers name no group, <see cref="TypedKafkaOptions.GroupId"/> is not set
    /// and <see cref="TypedKafkaOptions.Groups"/> is empty.</exception>
    /// <exception cref="ArgumentException">A handler's attribute has a bad Ordering, MaxConcurrency, MaxBatchSize or
    /// MaxBatchWaitMs, or the record handlers of one topic disagree on their ordering.</exception>
    public static IReadOnlyList<Group> Build(IReadOnlyList<KafkaHandlerCatalog> catalogs, TypedKafkaOptions options)
    {
        var handlers = catalogs.SelectMany(c => c.Handlers.Select(h => (Catalog: c, Handler: h))).ToList();
        foreach (var (_, handler) in handlers) Validate(handler);
        var groups = new List<(string GroupId, string? CatalogGroup, KafkaHandlerCatalog Catalog, KafkaHandlerDescriptor Handler)>();
        foreach (var (catalog, handler) in handlers)
        {
            var groupId = handler.GroupId ?? options.GroupId ?? options.Consumer.GroupId;
            // With a Groups filter, handlers of an unnamed default group cannot be among the groups asked for.
            if (groupId is null && options.Groups.Count > 0) continue;
            if (groupId is null)
                throw new InvalidOperationException(
                    $"Handlers without a GroupId ({string.Join(", ", handlers.Where(h => h.Handler.GroupId is null).Select(h => h.Handler.DisplayName).Distinct())}) need TypedKafka:GroupId to be set.");
            groups.Add((groupId, handler.GroupId, catalog, handler));
        }
        // Handlers of the default group and of a group named like it share one consumer.
        var result = new List<Group>();
        foreach (var byGroup in groups.GroupBy(g => g.GroupId, StringComparer.Ordinal))
        {
            var routes = new Dictionary<string, TopicRoute>(StringComparer.Ordinal);
            foreach (var byTopic in byGroup.GroupBy(h => h.Handler.Topic, StringComparer.Ordinal))
            {
                KafkaRecordInvoker? invoker = null;
                foreach (var (catalog, catalogGroup) in byTopic.Where(h => !h.Handler.IsBatch).Select(h => (h.Catalog, h.CatalogGroup)).Distinct())
                {
                    if (!catalog.TryGetInvoker(catalogGroup, byTopic.Key, out var found)) continue;
                    invoker = invoker is null ? found : Chain(invoker, found);
                }
                var records = byTopic.Where(h => !h.Handler.IsBatch).Select(h => h.Handler).ToList();
                var batches = byTopic.Where(h => h.Handler.IsBatch).Select(h => h.Handler).ToList();
                var modes = records.Select(h => (h.Ordering, h.MaxConcurrency)).Distinct().ToList();
                if (modes.Count > 1)
                    throw new ArgumentException(
                        $"The record handlers of topic '{byTopic.Key}' in group '{byGroup.Key}' run in one ordering, but they disagree: " +
                        string.Join("; ", records.Select(h => $"{h.DisplayName} has Ordering = {h.Ordering}, MaxConcurrency = {h.MaxConcurrency}")) + ".",
                        nameof(KafkaTopicAttribute.Ordering));
                var ordering = modes.Count == 1 ? modes[0].Ordering : KafkaOrdering.Partition;
                var concurrency = modes.Count == 1 && modes[0].MaxConcurrency > 0
                    ? modes[0].MaxConcurrency
                    : ordering == KafkaOrdering.Partition ? int.MaxValue : DefaultConcurrency;
                var policy = byTopic.Any(h => h.Handler.OnDeserializationError == DeserializationErrorPolicy.Stop)
                    ? DeserializationErrorPolicy.Stop
                    : DeserializationErrorPolicy.Skip;
                routes[byTopic.Key] = new TopicRoute(byTopic.Key, invoker, string.Join(" + ", records.Select(h => h.DisplayName)), ordering, concurrency, batches, policy);
            }
            result.Add(new Group(byGroup.Key, byGroup.First().CatalogGroup, routes));
        }
        return result;
    }

    /// <summary>MaxConcurrency = 0 with Key or Unordered ordering.</summary>
    public const int DefaultConcurrency = 64;

    private static void Validate(KafkaHandlerDescriptor handler)
    {
        if (!Enum.IsDefined(handler.Ordering))
            throw new ArgumentException($"{handler.DisplayName}: [KafkaTopic(\"{handler.Topic}\")] has Ordering = {(int)handler.Ordering}, which is not a KafkaOrdering.", nameof(KafkaTopicAttribute.Ordering));
        if (handler.MaxConcurrency < 0)
            throw new ArgumentException($"{handler.DisplayName}: [KafkaTopic(\"{handler.Topic}\")] has MaxConcurrency = {handler.MaxConcurrency}; use 0 for the default or a positive number.", nameof(KafkaTopicAttribute.MaxConcurrency));
        if (handler.MaxBatchSize < 0)
            throw new ArgumentException($"{handler.DisplayName}: [KafkaTopic(\"{handler.Topic}\")] has MaxBatchSize = {handler.MaxBatchSize}; use 0 for the default (500) or a positive number.", nameof(KafkaTopicAttribute.MaxBatchSize));
        if (handler.MaxBatchWaitMs < 0)
            throw new ArgumentException($"{handler.DisplayName}: [KafkaTopic(\"{handler.Topic}\")] has MaxBatchWaitMs = {handler.MaxBatchWaitMs}; use 0 (no wait) or a positive number.", nameof(KafkaTopicAttribute.MaxBatchWaitMs));
        if (handler.IsBatch && handler.Ordering != KafkaOrdering.Partition)
            throw new ArgumentException($"{handler.DisplayName}: a batch handler holds records of one partition in offset order, so its Ordering must be Partition, not {handler.Ordering}.", nameof(KafkaTopicAttribute.Ordering));
    }

    /// <summary>Runs two invokers for one record (handlers of one topic compiled into different assemblies).</summary>
    private static KafkaRecordInvoker Chain(KafkaRecordInvoker first, KafkaRecordInvoker second) =>
        (key, keyIsNull, value, valueIsNull, context, services, ct) =>
        {
            var a = first(key, keyIsNull, value, valueIsNull, context, services, ct);
            var b = second(key, keyIsNull, value, valueIsNull, context, services, ct);
            return a.IsCompletedSuccessfully ? b : Both(a, b);
        };

    private static async ValueTask Both(ValueTask a, ValueTask b)
    {
        await a.ConfigureAwait(false);
        await b.ConfigureAwait(false);
    }
}

/// <summary>What runs for one topic of a group: the generated record invoker (all record handlers of the topic) with
/// their ordering and concurrency, and the batch handlers (each its own processor).</summary>
internal sealed record TopicRoute(
    string Topic,
    KafkaRecordInvoker? Invoker,
    string RecordHandlerNames,
    KafkaOrdering Ordering,
    int MaxConcurrency,
    IReadOnlyList<KafkaHandlerDescriptor> BatchHandlers,
    DeserializationErrorPolicy OnDeserializationError);
