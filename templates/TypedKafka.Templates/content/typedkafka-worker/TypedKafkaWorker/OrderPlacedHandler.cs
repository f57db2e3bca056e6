using TypedKafka;

namespace TypedKafkaWorker;

/// <summary>The event on the <c>orders</c> topic, as JSON: <c>{"OrderId":"o-1","Sku":"ABC-1","Quantity":2}</c>.</summary>
public sealed record OrderPlaced(string OrderId, string Sku, int Quantity);

/// <summary>
/// Handles each record of the <c>orders</c> topic. TypedKafka's source generator emits the JSON deserializer for
/// <see cref="OrderPlaced"/> and the call to <see cref="HandleAsync"/> at compile time; <c>AddTypedKafka()</c> runs it in
/// the consumer group <c>TypedKafka:GroupId</c>, creating the handler through dependency injection. The record's offset
/// is committed after the returned task completes; an exception retries the same record with backoff.
/// </summary>
public sealed class OrderPlacedHandler(IOrderService orders, ILogger<OrderPlacedHandler> logger)
{
    [KafkaTopic("orders")]
    public async Task HandleAsync(OrderPlaced order, MessageContext context, CancellationToken cancellationToken)
    {
        logger.LogInformation("Order {OrderId} ({Quantity} x {Sku}) from {Topic}-{Partition}@{Offset}",
            order.OrderId, order.Quantity, order.Sku, context.Topic, context.Partition, context.Offset);
        await orders.PlaceAsync(order, cancellationToken);
    }
}
