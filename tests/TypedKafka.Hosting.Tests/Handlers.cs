using System.Collections.Concurrent;
using TypedKafka.Hosting.Tests.Proto;

namespace TypedKafka.Hosting.Tests;

/// <summary>A JSON message.</summary>
public sealed record Invoice(string Id, decimal Amount);

/// <summary>An Avro message bound to Schemas/refund.avsc: the generator adds the properties and the decoder.</summary>
[AvroSchema("Schemas/refund.avsc")]
public partial class Refund
{
}

/// <summary>What the handlers saw, shared through DI.</summary>
public sealed class Sink
{
    public ConcurrentQueue<(string Topic, int Partition, long Offset, object Message)> Received { get; } = new();

    /// <summary>Offsets whose first delivery should fail (to show at-least-once retries).</summary>
    public ConcurrentDictionary<(string Topic, long Offset, int Partition), int> FailOnce { get; } = new();

    public int Count => Received.Count;

    public void Add(MessageContext context, object message)
    {
        if (FailOnce.TryRemove((context.Topic, context.Offset, context.Partition), out _))
            throw new InvalidOperationException($"Planned failure at {context}");
        Received.Enqueue((context.Topic, context.Partition, context.Offset, message));
    }
}

public sealed class InvoiceHandler(Sink sink)
{
    [KafkaTopic("invoices")]
    public ValueTask HandleAsync(Invoice invoice, MessageContext context, CancellationToken cancellationToken)
    {
        sink.Add(context, invoice);
        return ValueTask.CompletedTask;
    }
}

public sealed class ShipmentHandler(Sink sink)
{
    [KafkaTopic("shipments")]
    public async Task HandleAsync(Shipment shipment, MessageContext context, CancellationToken cancellationToken)
    {
        await Task.Yield();
        sink.Add(context, shipment);
    }
}

public sealed class RefundHandler(Sink sink)
{
    [KafkaTopic("refunds", GroupId = "refunds-group")]
    public void Handle(Refund refund, MessageContext context) => sink.Add(context, refund);
}
