using Microsoft.Extensions.DependencyInjection.Extensions;
using TypedKafka.Hosting;

namespace TypedKafkaWorker;

/// <summary>The worker's services, shared by Program.cs and the tests.</summary>
public static class WorkerServiceCollectionExtensions
{
    /// <summary>
    /// Adds the order service (unless one is registered already) and the TypedKafka hosting, which reads the
    /// <c>TypedKafka</c> configuration section and then applies <paramref name="configure"/>.
    /// </summary>
    public static IServiceCollection AddOrderWorker(this IServiceCollection services, Action<TypedKafkaOptions>? configure = null)
    {
        services.TryAddSingleton<IOrderService, LoggingOrderService>();
        services.AddTypedKafka(configure);
        return services;
    }
}
