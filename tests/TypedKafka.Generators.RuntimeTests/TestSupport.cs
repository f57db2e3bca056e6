using System.Text;
using Microsoft.Extensions.DependencyInjection;

namespace TypedKafka.RuntimeTests;

internal static class TestSupport
{
    public static KafkaHandlerCatalog Catalog =>
        KafkaHandlerRegistry.Catalogs.Single(c => c.AssemblyName == "TypedKafka.Generators.RuntimeTests");

    public static KafkaHandlerDescriptor Handler(string topic, string? method = null, string? group = null) =>
        Catalog.Handlers.Single(h => h.Topic == topic && h.GroupId == group && (method is null || h.HandlerMethod == method));

    public static IDeserializer<T> Deserializer<T>(string topic) => (IDeserializer<T>)Handler(topic).ValueDeserializer;

    public static T Json<T>(string topic, string json) =>
        Deserializer<T>(topic).Deserialize(Encoding.UTF8.GetBytes(json), false, new SerializationContext(topic, 0, false, Array.Empty<Header>()));

    public static IServiceProvider Services(Action<IServiceCollection>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(new Recorder());
        services.AddSingleton<IClock, FixedClock>();
        configure?.Invoke(services);
        return services.BuildServiceProvider();
    }

    public static ValueTask Invoke(KafkaRecordInvoker invoker, byte[]? key, byte[]? value, MessageContext context, IServiceProvider services) =>
        invoker(key, key is null, value, value is null, context, services, CancellationToken.None);
}
