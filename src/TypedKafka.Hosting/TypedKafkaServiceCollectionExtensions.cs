using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using TypedKafka.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers TypedKafka's hosted consumers.</summary>
public static class TypedKafkaServiceCollectionExtensions
{
    /// <summary>The configuration section bound to <see cref="TypedKafkaOptions"/>.</summary>
    public const string ConfigurationSection = "TypedKafka";

    /// <summary>
    /// Runs every <c>[KafkaTopic]</c> handler in the application (found through the generated handler catalogs) in a
    /// hosted consumer per group. Settings come from the <c>TypedKafka</c> configuration section, then from
    /// <paramref name="configure"/>; they are validated when the host starts.
    /// </summary>
    public static IServiceCollection AddTypedKafka(this IServiceCollection services, Action<TypedKafkaOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<TypedKafkaOptions>();
        builder.Configure<IServiceProvider>((options, provider) =>
        {
            if (provider.GetService<IConfiguration>() is { } configuration)
                TypedKafkaConfiguration.Bind(configuration.GetSection(ConfigurationSection), options);
        });
        if (configure is not null) builder.Configure(configure);
        builder.Validate(options =>
        {
            options.Validate();
            return true;
        });
        builder.ValidateOnStart();
        services.TryAddSingleton<TypedKafkaReadiness>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TypedKafkaHostedService>());
        return services;
    }
}
