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

    /// <summary>How long shutdown (and a revocation) waits for the handlers in flight; shutdown's final commit and
    /// leaving the group fit in it too. Handlers' tokens are cancelled only when it runs out. Default 30 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most records a group member holds fetched but not yet committable; past it the busiest partitions
    /// are paused in the consumer (nothing fetched is dropped) and resumed as they drain. Default 10,000.</summary>
    public int MaxInFlightRecords { get; set; } = 10_000;

    /// <summary>What happens when a group hits an error it cannot retry (authentication, authorization, a fenced static
    /// member, corrupt data, a payload that cannot be deserialized under <see cref="DeserializationErrorPolicy.Stop"/>).
    /// Default <see cref="FatalErrorAction.StopHost"/>.</summary>
    public FatalErrorAction OnFatalError { get; set; } = FatalErrorAction.StopHost;

    /// <summary>With <see cref="FatalErrorAction.Restart"/>: the pause before the group's consumer is rebuilt, doubling
    /// after each restart in a row up to 5 minutes. Default 5 s.</summary>
    public TimeSpan RestartBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>When not empty, only the handlers of these groups run in this process (after the default group is
    /// applied); an id that no handler uses is an error at start. Empty: every group.</summary>
    public IList<string> Groups { get; set; } = new List<string>();

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
        Positive(RestartBackoff, nameof(RestartBackoff));
        if (MaxInFlightRecords <= 0)
            throw new ArgumentException($"TypedKafka:MaxInFlightRecords must be positive; it is {MaxInFlightRecords}.", nameof(MaxInFlightRecords));
        if (!Enum.IsDefined(OnFatalError))
            throw new ArgumentException($"TypedKafka:OnFatalError is {(int)OnFatalError}, which is neither StopHost nor Restart.", nameof(OnFatalError));
        ArgumentNullException.ThrowIfNull(Groups, nameof(Groups));
        foreach (var group in Groups)
        {
            if (string.IsNullOrWhiteSpace(group))
                throw new ArgumentException("TypedKafka:Groups has a blank group id.", nameof(Groups));
        }
        if (MaxHandlerRetryBackoff < HandlerRetryBackoff)
            throw new ArgumentException($"TypedKafka:MaxHandlerRetryBackoff ({MaxHandlerRetryBackoff}) is less than HandlerRetryBackoff ({HandlerRetryBackoff}).", nameof(MaxHandlerRetryBackoff));
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero) throw new ArgumentException($"TypedKafka:{name} must be positive; it is {value}.", name);
    }
}

/// <summary>What a group does after an error it cannot retry.</summary>
public enum FatalErrorAction
{
    /// <summary>Log it as Critical and stop the application (<c>IHostApplicationLifetime.StopApplication()</c>).</summary>
    StopHost = 0,

    /// <summary>Log it and rebuild the group's consumer after <see cref="TypedKafkaOptions.RestartBackoff"/>.</summary>
    Restart = 1,
}
