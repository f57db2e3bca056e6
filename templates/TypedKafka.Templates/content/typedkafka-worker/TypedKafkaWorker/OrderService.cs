namespace TypedKafkaWorker;

/// <summary>What the application does with an order; the tests replace it to see what the handler passed on.</summary>
public interface IOrderService
{
    Task PlaceAsync(OrderPlaced order, CancellationToken cancellationToken);
}

/// <summary>The starting point: logs the order. Replace it with the application's own work.</summary>
public sealed class LoggingOrderService(ILogger<LoggingOrderService> logger) : IOrderService
{
    public Task PlaceAsync(OrderPlaced order, CancellationToken cancellationToken)
    {
        logger.LogInformation("Placed order {OrderId}", order.OrderId);
        return Task.CompletedTask;
    }
}
