using TypedKafka.RuntimeTests.Proto;

namespace TypedKafka.RuntimeTests;

/// <summary>Collects what handlers received, so tests can look.</summary>
public sealed class Recorder
{
    public List<(string Handler, object? Message, object? Key, MessageContext? Context)> Calls { get; } = new();

    public void Add(string handler, object? message, object? key = null, MessageContext? context = null)
    {
        lock (Calls)
            Calls.Add((handler, message, key, context));
    }
}

public interface IClock
{
    DateTimeOffset Now { get; }
}

public sealed class FixedClock : IClock
{
    public DateTimeOffset Now => new(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);
}

/// <summary>An instance handler built through the generated factory (constructor dependencies from the service provider).</summary>
[KafkaTopic("orders")]
public sealed class OrderHandler(Recorder recorder, IClock clock, string? optional = null)
{
    public IClock Clock { get; } = clock;

    public string? Optional { get; } = optional;

    public ValueTask HandleAsync(Order order, MessageContext context, CancellationToken cancellationToken)
    {
        recorder.Add(nameof(OrderHandler), order, null, context);
        return ValueTask.CompletedTask;
    }
}

public static class StaticHandlers
{
    public static Recorder Recorder { get; } = new();

    [KafkaTopic("orders-sync")]
    public static void Sync(Order order) => Recorder.Add("Sync", order);

    [KafkaTopic("keyed", OnDeserializationError = DeserializationErrorPolicy.Skip)]
    public static async Task Keyed(Order? order, [KafkaKey] string key, MessageContext context, CancellationToken cancellationToken)
    {
        await Task.Yield();
        Recorder.Add("Keyed", order, key, context);
    }

    [KafkaTopic("int-keyed")]
    public static void IntKeyed(Order order, [KafkaKey] int key) => Recorder.Add("IntKeyed", order, key);

    [KafkaTopic("batch", MaxBatchSize = 100)]
    public static void Batch(IReadOnlyList<Order> orders) => Recorder.Add("Batch", orders.ToList());

    [KafkaTopic("proto")]
    public static void Proto(ProtoOrder order) => Recorder.Add("Proto", order);

    [KafkaTopic("avro-specific")]
    public static void AvroSpecific(AvroPing ping) => Recorder.Add("AvroSpecific", ping);

    [KafkaTopic("avro-schema", WireFormat = KafkaWireFormat.Auto)]
    public static void AvroSchema(Payment payment) => Recorder.Add("AvroSchema", payment);

    [KafkaTopic("multi")]
    public static void MultiFirst(Order order) => Recorder.Add("MultiFirst", order);

    [KafkaTopic("multi")]
    public static ValueTask MultiSecond(Order order, CancellationToken cancellationToken)
    {
        Recorder.Add("MultiSecond", order);
        return ValueTask.CompletedTask;
    }

    [KafkaTopic("orders", GroupId = "audit")]
    [KafkaTopic("orders-archive", GroupId = "audit")]
    public static void Audit(Order order, MessageContext context) => Recorder.Add("Audit:" + context.Topic, order);

    [KafkaTopic("diff")]
    public static void Diff(DiffDoc doc) => Recorder.Add("Diff", doc);

    [KafkaTopic("shipments")]
    public static void Shipments(Shipment shipment) => Recorder.Add("Shipments", shipment);

    [KafkaTopic("defaults-orders")]
    public static void DefaultsOrders(DefaultsOrder order) => Recorder.Add("DefaultsOrders", order);

    [KafkaTopic("defaults-accounts")]
    public static void DefaultsAccounts(DefaultsAccount account) => Recorder.Add("DefaultsAccounts", account);

    [KafkaTopic("customers")]
    public static void Customers(Customer customer) => Recorder.Add("Customers", customer);

    [KafkaTopic("avro-parcels")]
    public static void Parcels(AvroParcelEvent parcel) => Recorder.Add("Parcels", parcel);

    [KafkaTopic("proto-box")]
    public static void ProtoBox(TypedKafka.RuntimeTests.Proto.ProtoShipment.Types.Box box) => Recorder.Add("ProtoBox", box);

    [KafkaTopic("avro-legacy")]
    public static void Legacy(AvroLegacyPing ping) => Recorder.Add("Legacy", ping);

    [KafkaTopic("avro-logical")]
    public static void Logical(AvroLogicalEvent logical) => Recorder.Add("Logical", logical);

    [KafkaTopic("avro-unions")]
    public static void Unions(AvroUnionEvent value) => Recorder.Add("Unions", value);

    [KafkaTopic("avro-fixed-decimal")]
    public static void FixedDecimal(AvroFixedDecimalEvent value) => Recorder.Add("FixedDecimal", value);

    [KafkaTopic("envelopes")]
    public static void Envelopes(Envelope envelope) => Recorder.Add("Envelopes", envelope);

    /// <summary>Does nothing: the benchmark's handler.</summary>
    [KafkaTopic("noop")]
    public static void Noop(Order order)
    {
    }
}
