using TypedKafka.Sample.Proto;

namespace TypedKafka.Sample;

/// <summary>An order event, published as JSON.</summary>
public sealed record Order(long Id, string Sku, int Qty, decimal Price);

/// <summary>Bound to Schemas/payment.avsc: the generator adds the properties and the Avro decoder.</summary>
[AvroSchema("Schemas/payment.avsc")]
public partial class Payment
{
}

/// <summary>Counts what the handlers saw (a singleton the handlers get through DI).</summary>
public sealed class Tally
{
    private long _orders, _payments, _shipments, _revenueCents, _parcels;

    public long Orders => Interlocked.Read(ref _orders);
    public long Payments => Interlocked.Read(ref _payments);
    public long Shipments => Interlocked.Read(ref _shipments);
    public long RevenueCents => Interlocked.Read(ref _revenueCents);
    public long Parcels => Interlocked.Read(ref _parcels);
    public long Total => Orders + Payments + Shipments;

    public void Order() => Interlocked.Increment(ref _orders);

    /// <summary>Payments in EUR: the sample writes its v2 payments in USD, so these are the v1 payments, whose missing
    /// currency field got the reader schema's default.</summary>
    public long DefaultedCurrency => Interlocked.Read(ref _eur);

    private long _eur;

    public void Payment(long cents, string currency)
    {
        Interlocked.Increment(ref _payments);
        Interlocked.Add(ref _revenueCents, cents);
        if (currency == "EUR")
            Interlocked.Increment(ref _eur);
    }

    public void Shipment(int parcels)
    {
        Interlocked.Increment(ref _shipments);
        Interlocked.Add(ref _parcels, parcels);
    }
}

/// <summary>The handlers: the generator emits their deserializers and dispatch; AddTypedKafka runs them.</summary>
public sealed class OrderHandlers(Tally tally)
{
    // Orders are keyed by customer: one customer's orders are handled one at a time in order, different customers'
    // orders at the same time (up to 16 here), so a slow or failing order holds back only its customer.
    [KafkaTopic("orders", Ordering = KafkaOrdering.Key, MaxConcurrency = 16)]
    public void OnOrder(Order order, MessageContext context)
    {
        if (order.Qty <= 0) throw new InvalidOperationException($"Order {order.Id} at {context} has no quantity.");
        tally.Order();
    }

    [KafkaTopic("payments")]
    public ValueTask OnPaymentAsync(Payment payment, CancellationToken cancellationToken)
    {
        tally.Payment(payment.AmountCents, payment.Currency);
        return ValueTask.CompletedTask;
    }

    [KafkaTopic("shipments", GroupId = "logistics")]
    public async Task OnShipmentAsync(Shipment shipment, CancellationToken cancellationToken)
    {
        await Task.Yield(); // e.g. a call to a carrier's API
        tally.Shipment(shipment.Parcels);
    }
}
