using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TypedKafka.Testing;

namespace TypedKafkaWorker.Tests;

public sealed class OrderPlacedHandlerTests
{
    [Fact]
    public async Task An_order_published_to_the_topic_reaches_the_order_service()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var cluster = await KafkaTestCluster.StartAsync(brokers: 1, cancellationToken: timeout.Token);
        cluster.CreateTopic("orders", partitions: 1);
        using (var producer = cluster.CreateNativeProducer())
        {
            await producer.ProduceAsync("orders",
                [new TestRecord(Encoding.UTF8.GetBytes("o-1"), Encoding.UTF8.GetBytes("""{"OrderId":"o-1","Sku":"ABC-1","Quantity":2}"""))],
                timeout.Token);
        }

        // The worker's own registration and appsettings.json, pointed at the embedded cluster.
        var orders = new RecordingOrderService();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddSingleton<IOrderService>(orders);
        builder.Services.AddOrderWorker(options => options.BootstrapServers = cluster.BootstrapServers);
        using var host = builder.Build();
        await host.StartAsync(timeout.Token);
        try
        {
            var order = await orders.First.Task.WaitAsync(timeout.Token);
            Assert.Equal(new OrderPlaced("o-1", "ABC-1", 2), order);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private sealed class RecordingOrderService : IOrderService
    {
        public TaskCompletionSource<OrderPlaced> First { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task PlaceAsync(OrderPlaced order, CancellationToken cancellationToken)
        {
            First.TrySetResult(order);
            return Task.CompletedTask;
        }
    }
}
