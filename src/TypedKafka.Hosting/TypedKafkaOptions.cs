namespace TypedKafka.Hosting;

/// <summary>
/// The settings of <c>AddTypedKafka()</c>: the consumer settings shared by every group's consumer, the default group for
/// handlers that name none, and how the hosted consumers commit, retry and shut down. Bound from the configuration
/// section <c>TypedKafka</c> (e.g. <c>TypedKafka:BootstrapServers</c>, <c>TypedKafka:Consumer:FetchMaxWait</c>), then
/// from the <c>configure</c> callback.
/// </summary>
public sealed class TypedKafkaOptions
{
    /// <summary>Settings for every consumer the hosting creates; <see cref="ConsumerOptions.GroupId"/> is set per group
    /// and auto-commit is replaced by commits after each handler succeeds.</summary>
    public ConsumerOptions Consumer { get; set; } = new();

    /// <summary>Shortcut for <see cref="ConsumerOptions.BootstrapServers"/> of <see cref="Consumer"/>.</summary>
    public string BootstrapServers
    {
        get => Consumer.BootstrapServers;
        set => Consumer.BootstrapServers = value;
    }

    /// <summary>The group of handlers whose <c>[KafkaTopic]</c> names no <c>GroupId</c>. Required when such handlers exist.</summary>
    public string? GroupId { get; set; }

    /// <summary>How often processed offsets are committed while records flow (they are also committed before partitions
    /// are revoked and at shutdown). Default 1 s.</summary>
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The first pause before a failed handler is called again with the same record (doubling up to
    /// <see cref="MaxHandlerRetryBackoff"/>). Default 100 ms.</summary>
    public TimeSpan HandlerRetryBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest pause between retries of a failing handler. Default 30 s.</summary>
    public TimeSpan MaxHandlerRetryBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long shutdown waits for the current record, the final commit and leaving the group. Default 30 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The Confluent-compatible Schema Registry through which framed Avro values are decoded by schema resolution
    /// when their writer schema differs from the handler type's (section <c>TypedKafka:SchemaRegistry</c>). Default none:
    /// framed values are then decoded with the compiled schema. An <see cref="TypedKafka.SchemaRegistry.ISchemaRegistryClient"/>
    /// registered in the services is used instead when present.</summary>
    public TypedKafka.SchemaRegistry.SchemaRegistryOptions? SchemaRegistry { get; set; }

    /// <summary>Checks every setting; an <see cref="ArgumentException"/> names the bad one.</summary>
    public void Validate()
    {
        Consumer.Validate();
        SchemaRegistry?.Validate();
        if (GroupId is not null && string.IsNullOrWhiteSpace(GroupId))
            throw new ArgumentException("TypedKafka:GroupId must not be blank.", nameof(GroupId));
        Positive(CommitInterval, nameof(CommitInterval));
        Positive(HandlerRetryBackoff, nameof(HandlerRetryBackoff));
        Positive(MaxHandlerRetryBackoff, nameof(MaxHandlerRetryBackoff));
        Positive(ShutdownTimeout, nameof(ShutdownTimeout));
        if (MaxHandlerRetryBackoff < HandlerRetryBackoff)
            throw new ArgumentException($"TypedKafka:MaxHandlerRetryBackoff ({MaxHandlerRetryBackoff}) is less than HandlerRetryBackoff ({HandlerRetryBackoff}).", nameof(MaxHandlerRetryBackoff));
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero) throw new ArgumentException($"TypedKafka:{name} must be positive; it is {value}.", name);
    }
}
