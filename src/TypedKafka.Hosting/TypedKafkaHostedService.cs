using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace TypedKafka.Hosting;

/// <summary>
/// Starts one <see cref="GroupWorker"/> per consumer group found among the generated handlers and stops them
/// gracefully: each finishes the record in hand, commits what was processed and leaves its group.
/// </summary>
internal sealed class TypedKafkaHostedService : IHostedService, IAsyncDisposable
{
    private readonly IServiceProvider _services;
    private readonly TypedKafkaOptions _options;
    private readonly TypedKafkaReadiness _readiness;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _workers = [];
    private TypedKafka.SchemaRegistry.SchemaRegistryClient? _ownedRegistry;

    public TypedKafkaHostedService(IServiceProvider services, IOptions<TypedKafkaOptions> options, TypedKafkaReadiness readiness)
    {
        _services = services;
        _options = options.Value;
        _readiness = readiness;
        _log = services.GetService<ILoggerFactory>()?.CreateLogger("TypedKafka.Hosting") ?? NullLogger.Instance;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var catalogs = KafkaHandlerRegistry.Catalogs.Concat(_services.GetServices<KafkaHandlerCatalog>()).Distinct().ToList();
        var plan = HandlerPlan.Build(catalogs, _options);
        if (plan.Count == 0)
        {
            _log.LogWarning("AddTypedKafka found no [KafkaTopic] handlers; no consumer is started.");
            return Task.CompletedTask;
        }
        // One registry client (and so one schema cache) for every group: a registered ISchemaRegistryClient, else one
        // built from TypedKafkaOptions.SchemaRegistry and owned (disposed) by this service.
        var registry = _services.GetService<TypedKafka.SchemaRegistry.ISchemaRegistryClient>();
        if (registry is null && _options.SchemaRegistry is { } registryOptions)
            registry = _ownedRegistry = new TypedKafka.SchemaRegistry.SchemaRegistryClient(registryOptions);
        foreach (var group in plan)
        {
            var worker = new GroupWorker(group.GroupId, group.CatalogGroup, group.Routes, _options, _services, _readiness, _log) { SchemaRegistry = registry };
            _workers.Add(Task.Run(() => worker.RunAsync(_stopping.Token), CancellationToken.None));
        }
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        try
        {
            await Task.WhenAll(_workers).WaitAsync(_options.ShutdownTimeout + TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Each worker logged its own failure.
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

    /// <exception cref="InvalidOperationException">Handlers name no group and <see cref="TypedKafkaOptions.GroupId"/> is not set.</exception>
    public static IReadOnlyList<Group> Build(IReadOnlyList<KafkaHandlerCatalog> catalogs, TypedKafkaOptions options)
    {
        var groups = new List<Group>();
        var handlers = catalogs.SelectMany(c => c.Handlers.Select(h => (Catalog: c, Handler: h))).ToList();
        foreach (var byGroup in handlers.GroupBy(h => h.Handler.GroupId))
        {
            var groupId = byGroup.Key ?? options.GroupId ?? options.Consumer.GroupId
                ?? throw new InvalidOperationException(
                    $"Handlers without a GroupId ({string.Join(", ", byGroup.Select(h => h.Handler.DisplayName).Distinct())}) need TypedKafka:GroupId to be set.");
            var routes = new Dictionary<string, TopicRoute>(StringComparer.Ordinal);
            foreach (var byTopic in byGroup.GroupBy(h => h.Handler.Topic))
            {
                KafkaRecordInvoker? invoker = null;
                foreach (var catalog in byTopic.Select(h => h.Catalog).Distinct())
                {
                    if (!catalog.TryGetInvoker(byGroup.Key, byTopic.Key, out var found)) continue;
                    invoker = invoker is null ? found : Chain(invoker, found);
                }
                var batches = byTopic.Where(h => h.Handler.IsBatch).Select(h => (h.Handler.CreateBatchBuffer!(), h.Handler)).ToList();
                var policy = byTopic.Any(h => h.Handler.OnDeserializationError == DeserializationErrorPolicy.Stop)
                    ? DeserializationErrorPolicy.Stop
                    : DeserializationErrorPolicy.Skip;
                routes[byTopic.Key] = new TopicRoute(byTopic.Key, invoker, batches, policy);
            }
            groups.Add(new Group(groupId, byGroup.Key, routes));
        }
        // Handlers of the default group and of a group named like it share one consumer.
        return [.. groups.GroupBy(g => g.GroupId).Select(g => g.Count() == 1 ? g.First() : Merge(g.ToList()))];
    }

    private static Group Merge(List<Group> groups)
    {
        var routes = new Dictionary<string, TopicRoute>(StringComparer.Ordinal);
        foreach (var group in groups)
        {
            foreach (var (topic, route) in group.Routes)
            {
                routes[topic] = routes.TryGetValue(topic, out var existing)
                    ? existing with
                    {
                        Invoker = existing.Invoker is null ? route.Invoker : route.Invoker is null ? existing.Invoker : Chain(existing.Invoker, route.Invoker),
                        Batches = [.. existing.Batches, .. route.Batches],
                        OnDeserializationError = existing.OnDeserializationError == DeserializationErrorPolicy.Stop ? DeserializationErrorPolicy.Stop : route.OnDeserializationError,
                    }
                    : route;
            }
        }
        return new Group(groups[0].GroupId, groups[0].CatalogGroup, routes);
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
